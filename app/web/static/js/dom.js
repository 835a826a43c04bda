// Small DOM helpers shared by every page. No framework: elements are built
// with h() and swapped in with replaceChildren, only when what they show
// changed (see keyed()).

/**
 * h builds an element. attrs: class, text, html is NOT supported (nothing
 * is ever parsed as HTML); on<event> adds a listener; dataset:{…};
 * boolean true sets an empty attribute, false/null/undefined skips it.
 * Children may be nodes, strings, numbers, arrays or null.
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === false || v === null || v === undefined) continue;
      if (k === 'class') el.className = v;
      else if (k === 'text') el.textContent = v;
      else if (k === 'dataset') Object.assign(el.dataset, v);
      else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
      else if (v === true) el.setAttribute(k, '');
      else el.setAttribute(k, String(v));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
}

/** $ returns the first element matching sel. */
export const $ = (sel, root = document) => root.querySelector(sel);

/** $$ returns every element matching sel, as an array. */
export const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));

/**
 * keyed replaces el's children with build() only when key differs from the
 * key of the last render, so unchanged regions are not re-announced by
 * screen readers and keep their focus and scroll position.
 */
export function keyed(el, key, build) {
  if (el.dataset.key === key) return false;
  el.dataset.key = key;
  const kids = build();
  el.replaceChildren(...(Array.isArray(kids) ? kids : [kids]).filter(Boolean));
  return true;
}

/** setText sets textContent only when it changes. */
export function setText(el, text) {
  if (el && el.textContent !== text) el.textContent = text;
}

/** readCookie returns the value of a cookie, or "". */
export function readCookie(name) {
  for (const part of document.cookie.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return decodeURIComponent(v.join('='));
  }
  return '';
}

/** store is localStorage that never throws (private mode, full quota). */
export const store = {
  get(key) {
    try { return localStorage.getItem(key); } catch { return null; }
  },
  set(key, value) {
    try { localStorage.setItem(key, value); } catch { /* not persisted */ }
  },
};
