// Forms of the console that write through the API: an error answer is
// shown beside the field it is about, and elsewhere in the form's own
// error line. The API names the field in details.field when it can;
// otherwise its messages begin with the field's JSON name ("venue_tz …",
// "stream_links.hu must …"), which is matched against the form's named
// controls. A network failure is the caller's to show (a toast).

import { h } from './dom.js';
import { ApiError } from './api.js';
import { t } from './i18n.js';

/** controls returns the form's named controls by name. */
function controls(form) {
  const out = new Map();
  for (const el of form.querySelectorAll('[name]')) if (!out.has(el.name)) out.set(el.name, el);
  return out;
}

/** fieldOf returns the name of the form control err is about, or "". */
export function fieldOf(err, form) {
  const named = controls(form);
  const candidates = [];
  if (err.details && typeof err.details.field === 'string') candidates.push(err.details.field);
  const msg = String(err.message || '');
  const lead = /^([a-z][a-z0-9_]*)((?:\.[a-z0-9_]+|\[\d+\])*)/.exec(msg);
  if (lead) candidates.push(lead[1] + lead[2], lead[1]);
  for (const c of candidates) {
    if (named.has(c)) return c;
    const top = c.split(/[.[]/)[0];
    if (named.has(top)) return top;
    // A trilingual or per-region field: title → title.zh, the first.
    for (const name of named.keys()) if (name.startsWith(`${top}.`)) return name;
  }
  for (const name of named.keys()) {
    if (new RegExp(`\\b${name.replace(/[.[\]]/g, '\\$&')}\\b`).test(msg)) return name;
  }
  return '';
}

/** clearErrors removes the errors shown in form. */
export function clearErrors(form) {
  for (const el of form.querySelectorAll('.field-error')) el.remove();
  for (const el of form.querySelectorAll('[aria-invalid]')) {
    el.removeAttribute('aria-invalid');
    el.removeAttribute('aria-describedby');
  }
  const line = form.querySelector('.form-error');
  if (line) line.textContent = '';
}

let seq = 0;

/**
 * showError shows an API error in form: beside its field, or in the
 * form's .form-error line. It returns false for errors that are not the
 * form's to show (offline, timeouts), which the caller reports itself.
 */
export function showError(form, err) {
  if (!(err instanceof ApiError) || err.offline) return false;
  clearErrors(form);
  const name = fieldOf(err, form);
  const text = err.status === 403 ? `${t('console.failed')} ${err.message}` : err.message;
  if (name) {
    const el = controls(form).get(name);
    const id = `field-error-${++seq}`;
    const note = h('p', { class: 'field-error', id, role: 'alert', dataset: { field: name } }, text);
    (el.closest('label') || el).after(note);
    el.setAttribute('aria-invalid', 'true');
    el.setAttribute('aria-describedby', id);
    el.focus();
    return true;
  }
  let line = form.querySelector('.form-error');
  if (!line) {
    line = h('p', { class: 'form-error', role: 'alert' });
    form.append(line);
  }
  line.textContent = text;
  return true;
}
