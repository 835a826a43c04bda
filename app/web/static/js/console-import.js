// CSV import with a preview: the chosen file is first sent with
// ?dry_run=1, which checks all of it and writes nothing; the console shows
// its first rows as read (separator, header, cells), every bad row with
// its row, column and message, and what the import would do. Only a file
// without problems can then be imported — all or nothing, as the API is.
//
// mountImport puts the whole control into an element. The set-up card's
// import buttons (console-setup.js, marked data-import) get the preview
// through takeOverImports: the first change of their file input is held
// back for the preview, and "Import" lets it through to their own upload.

import { h } from './dom.js';
import { t } from './i18n.js';
import { api, ApiError } from './api.js';

/** send posts the file to url (with ?dry_run=1 for a preview). */
function send(url, f, dry) {
  const fd = new FormData();
  fd.append('file', f);
  return api('POST', dry ? `${url}?dry_run=1` : url, { form: fd, timeout: 60000 });
}

/** table draws a preview's rows; cells with a problem are marked. */
function table(p, errors) {
  const bad = new Map(errors.map((e) => [`${e.row}:${e.column}`, e.message]));
  const cell = (line, col, v) => {
    const msg = bad.get(`${line}:${col}`);
    return h('td', { class: msg ? 'import-bad' : '', title: msg || '' }, v);
  };
  return h('div', { class: 'import-table-wrap' }, h('table', { class: 'import-table' },
    h('thead', null, h('tr', null, h('th', { scope: 'col' }, t('console.importRow')), ...p.header.map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', null, p.rows.map((r, i) => h('tr', { class: errors.some((e) => e.row === p.lines[i]) ? 'import-bad-row' : '' },
      h('th', { scope: 'row' }, String(p.lines[i])), ...p.header.map((c, j) => cell(p.lines[i], c.trim().toLowerCase(), r[j] ?? '')))))));
}

/** showPreview renders a dry run's answer (res) or refusal (err) in out;
 * onImport, when the file has no problems, imports it. */
function showPreview(out, { res, err, onImport }) {
  const preview = res ? res.preview : err.details && err.details.preview;
  const errors = (err && err.details && err.details.errors) || [];
  const parts = [];
  if (preview && preview.separator === ';') parts.push(h('p', { class: 'notice notice-info' }, t('console.importSemicolon')));
  if (err) {
    parts.push(h('p', { class: 'form-error', role: 'alert' }, `${t('console.importRefused')} ${err.message}`));
    if (errors.length) {
      parts.push(h('ul', { class: 'import-errors' }, errors.map((e) => h('li', { dataset: { row: e.row, column: e.column || '' } },
        `${t('console.importRow')} ${e.row}${e.column ? ` · ${e.column}` : ''}: ${e.message}`))));
    }
  } else {
    parts.push(h('p', { class: 'notice notice-ok' }, t('console.importWould', { created: res.created, updated: res.updated, unchanged: res.unchanged })));
  }
  if (preview && preview.rows.length) parts.push(h('p', { class: 'muted' }, t('console.importFirstRows')), table(preview, errors));
  if (!err) parts.push(h('button', { class: 'btn btn-primary', type: 'button', dataset: { act: 'import' }, onclick: onImport }, t('console.importConfirm')));
  out.replaceChildren(...parts);
}

/** preview sends the file of input as a dry run and shows the answer. */
async function preview(input, url, out, onImport) {
  const f = input.files && input.files[0];
  if (!f) return;
  out.replaceChildren(h('p', { class: 'muted' }, t('console.importChecking')));
  try {
    showPreview(out, { res: await send(url, f, true), onImport });
  } catch (e) {
    if (e instanceof ApiError && !e.offline) showPreview(out, { err: e });
    else out.replaceChildren(h('p', { class: 'form-error', role: 'alert' }, t('console.notSent')));
  }
}

/**
 * mountImport puts a CSV import with preview into el: url is the import
 * endpoint (…/achievements/import or …/attendees/import), onDone is
 * called with the result after a successful import.
 */
export function mountImport(el, { url, onDone = () => {} }) {
  const input = h('input', { type: 'file', accept: '.csv,text/csv', class: 'setup-file' });
  const out = h('div', { class: 'import-preview', 'aria-live': 'polite' });
  input.addEventListener('change', () => preview(input, url, out, async () => {
    try {
      const res = await send(url, input.files[0], false);
      out.replaceChildren(h('p', { class: 'notice notice-ok' }, t('console.importDone', { created: res.created, updated: res.updated, unchanged: res.unchanged })));
      onDone(res);
    } catch (e) {
      if (e instanceof ApiError && !e.offline) showPreview(out, { err: e });
      else out.replaceChildren(h('p', { class: 'form-error', role: 'alert' }, t('console.notSent')));
    } finally {
      input.value = '';
    }
  }));
  el.replaceChildren(h('label', { class: 'btn' }, t('console.importChoose'), input), out);
}

/** takeOver gives one set-up import control (data-import) the preview. */
function takeOver(box, slug) {
  if (box.dataset.previewed) return;
  box.dataset.previewed = 'true';
  const input = box.querySelector('input[type="file"]');
  if (!input) return;
  const out = h('div', { class: 'import-preview', 'aria-live': 'polite' });
  box.append(out);
  let confirmed = false;
  box.addEventListener('change', (ev) => {
    if (ev.target !== input) return;
    if (confirmed) { // "Import" pressed: the set-up card's own upload runs
      confirmed = false;
      out.replaceChildren();
      return;
    }
    ev.stopPropagation();
    const url = `/api/v1/events/${encodeURIComponent(slug())}/${box.dataset.import}/import`;
    preview(input, url, out, () => {
      confirmed = true;
      input.dispatchEvent(new Event('change', { bubbles: true }));
    });
  }, true);
}

/** takeOverImports gives every set-up import control under root the
 * preview, now and whenever the set-up card draws one. */
export function takeOverImports(root, slug) {
  const scan = () => root.querySelectorAll('[data-import]').forEach((box) => takeOver(box, slug));
  scan();
  new MutationObserver(scan).observe(root, { childList: true, subtree: true });
}
