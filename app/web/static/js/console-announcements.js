// The console's list of the event's announcements: each one's text, its
// time in the venue's zone (labelled with that zone) and whether it is
// pinned, with Edit, Pin / Unpin and Delete. Every change goes through the
// API, which sends viewers announcement.updated or announcement.deleted;
// the list itself follows the console's live state, so another
// organizer's change shows here as it does on the live page.

import { h, keyed } from './dom.js';
import { currentLang, LANGS, pick, t } from './i18n.js';
import { api, ApiError } from './api.js';
import { clearErrors, showError } from './forms.js';
import { dateTime, offsetLabel, zoneLabel } from './time.js';

let ui = null; // {el, state, slug, toast, confirmAction}
let editing = 0; // the id of the announcement being edited, 0 for none

const path = (id) => `/api/v1/events/${encodeURIComponent(ui.slug())}/announcements/${id}`;

/** fail says why a change was not made. */
function fail(e) {
  if (e instanceof ApiError && !e.offline) ui.toast(`${t('console.failed')} ${e.message}`, 'bad');
  else ui.toast(t('console.notSent'), 'bad');
}

/** change sends one change and puts the answer into the live state at
 * once (the envelope that follows carries the same). */
async function change(method, id, body) {
  const out = await api(method, path(id), body ? { body } : {});
  if (method === 'DELETE') ui.state.announcements.delete(id);
  else ui.state.announcements.set(out.id, out);
  return out;
}

function editForm(a) {
  const form = h('form', { class: 'ann-edit', novalidate: true },
    ...LANGS.map((l) => h('label', { class: 'field' }, h('span', null, l),
      h('textarea', { name: `text.${l}`, lang: l === 'zh' ? 'zh-CN' : l, maxlength: '1000', rows: '2' }, (a.text && a.text[l]) || ''))),
    h('p', { class: 'form-error', role: 'alert' }),
    h('div', { class: 'ann-actions' },
      h('button', { class: 'btn btn-small btn-primary', type: 'submit' }, t('console.annSave')),
      h('button', { class: 'btn btn-small', type: 'button', onclick: () => { editing = 0; render(true); } }, t('console.annCancel'))));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const text = {};
    for (const l of LANGS) text[l] = form.elements[`text.${l}`].value.trim();
    try {
      await change('PATCH', a.id, { text });
      editing = 0;
      ui.toast(t('console.annSaved'), 'ok');
      render(true);
    } catch (e) {
      if (e instanceof ApiError && !e.offline) showError(form, e);
      else fail(e);
    }
  });
  return form;
}

function item(a, tz) {
  const at = new Date(a.created_at);
  const meta = h('p', { class: 'ann-meta' },
    a.pinned ? h('span', { class: 'pin' }, t('live.pinned')) : null,
    h('time', { datetime: a.created_at }, dateTime(a.created_at, tz)),
    h('span', { class: 'ann-zone' }, `${zoneLabel(tz)} ${offsetLabel(tz, at)}`));
  if (editing === a.id) return h('li', { class: 'ann', dataset: { id: a.id } }, meta, editForm(a));
  return h('li', { class: a.pinned ? 'ann is-pinned' : 'ann', dataset: { id: a.id } }, meta,
    h('p', { class: 'ann-text' }, pick(a.text)),
    h('div', { class: 'ann-actions' },
      h('button', { class: 'btn btn-small', type: 'button', dataset: { act: 'edit' }, onclick: () => { editing = a.id; render(true); } }, t('console.annEdit')),
      h('button', {
        class: 'btn btn-small', type: 'button', dataset: { act: a.pinned ? 'unpin' : 'pin' },
        onclick: () => change('PATCH', a.id, { pinned: !a.pinned }).then(() => render(true), fail),
      }, t(a.pinned ? 'console.annUnpin' : 'console.annPin')),
      h('button', {
        class: 'btn btn-small btn-danger', type: 'button', dataset: { act: 'delete' },
        onclick: async () => {
          const ok = await ui.confirmAction({ title: t('console.annDeleteTitle'), text: pick(a.text), ok: t('console.annDelete'), danger: true });
          if (ok) change('DELETE', a.id).then(() => render(true), fail);
        },
      }, t('console.annDelete'))));
}

/** render draws the list when what it shows changed (force: always). */
function render(force = false) {
  if (!ui) return;
  const list = ui.state.announcementList();
  const tz = (ui.state.event && ui.state.event.venue_tz) || 'Asia/Shanghai';
  if (editing && !list.some((a) => a.id === editing)) editing = 0; // deleted meanwhile
  const key = [currentLang(), tz, editing, JSON.stringify(list.map((a) => [a.id, a.pinned, a.text]))].join('#');
  if (force) delete ui.el.dataset.key;
  if (editing && !force && ui.el.childElementCount) return; // keep the form being typed in
  keyed(ui.el, key, () => (list.length ? list.map((a) => item(a, tz)) : [h('li', { class: 'muted' }, t('console.annNone'))]));
}

/**
 * mountAnnouncements shows the announcements of the console's live state
 * in el (a list element) and returns the function that redraws it, for
 * the console to call when its state changes.
 */
export function mountAnnouncements(el, { state, slug, toast, confirmAction }) {
  ui = { el, state, slug, toast, confirmAction };
  render(true);
  return () => render();
}
