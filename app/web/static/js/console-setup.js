// Set-up in the console: the event (trilingual title and venue, venue and
// viewer time zones, languages, its days), its stages, sessions (kind,
// stage, times in the venue's zone, fixed start, stream links per
// region), each session's run-of-show, the achievements catalogue and the
// attendees (search, add, edit, revoke). Every list pages; every form
// sends what it has to the API, whose rules decide, and shows a refusal
// beside the field it names (forms.js). Admins create and change events;
// organizers and admins the rest — the API's rules, which also audit
// every change. CSV imports are in the achievements and attendees tabs.

import { $, h } from './dom.js';
import { currentLang, LANGS, onLangChange, pick, t } from './i18n.js';
import { api, ApiError } from './api.js';
import { label } from './render.js';
import { clearErrors, showError } from './forms.js';

const PAGE = 20;
const KINDS = ['opening', 'showcase', 'signing', 'panel', 'forum', 'matchmaking', 'closing'];
const CATEGORIES = ['guest', 'official', 'academic', 'enterprise', 'press'];
const MODES = ['onsite', 'online', 'hybrid'];

let ui = null; // {confirmAction, toast, slug, events, admin}
let tab = '';
let event = null; // the console's event, as GET /events/{slug} answers
let stages = [];
const regions = () => [...(document.body.dataset.regions || 'cn,hu').split(',').filter(Boolean), 'default'];
const base = () => `/api/v1/events/${encodeURIComponent(ui.slug())}`;
const admin = () => document.body.dataset.role === 'admin';

/** say shows a failure the form could not show as a toast. */
function say(e) {
  if (e instanceof ApiError && !e.offline) ui.toast(`${t('console.failed')} ${e.message}`, 'bad');
  else ui.toast(t('console.notSent'), 'bad');
}

// ---- times in a zone ----------------------------------------------------------------

/** zoneParts returns the wall-clock fields of d in tz. */
function zoneParts(d, tz) {
  const f = new Intl.DateTimeFormat('en-CA', {
    timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
  });
  const p = Object.fromEntries(f.formatToParts(d).map((x) => [x.type, x.value]));
  return p;
}

/** localValue is an instant as a datetime-local value in tz. */
export function localValue(iso, tz) {
  if (!iso) return '';
  const p = zoneParts(new Date(iso), tz);
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}`;
}

/** fromLocal is the instant of a datetime-local value read in tz, as RFC 3339. */
export function fromLocal(value, tz) {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(value || '');
  if (!m) return null;
  const wall = Date.UTC(+m[1], m[2] - 1, +m[3], +m[4], +m[5]);
  let at = wall;
  for (let i = 0; i < 3; i++) { // the zone's offset at the instant, twice for a DST edge
    const p = zoneParts(new Date(at), tz);
    const seen = Date.UTC(+p.year, p.month - 1, +p.day, +p.hour, +p.minute);
    at += wall - seen;
  }
  return new Date(at).toISOString();
}

const venueTZ = () => (event && event.venue_tz) || 'Asia/Shanghai';

// ---- form building -------------------------------------------------------------------

function input(name, value, attrs = {}) {
  return h('input', { name, type: 'text', value: value ?? '', ...attrs });
}

function fieldRow(key, control, hint) {
  return h('label', { class: 'field' }, h('span', null, t(key)), control, hint ? h('small', { class: 'muted' }, hint) : null);
}

/** trilingual is one field per language, named name.zh, name.en, name.hu. */
function trilingual(name, key, value, attrs = {}) {
  return h('fieldset', { class: 'setup-text3' }, h('legend', null, t(key)),
    LANGS.map((l) => h('label', { class: 'field' }, h('span', null, l), input(`${name}.${l}`, value && value[l], { lang: l, ...attrs }))));
}

function select(name, options, value) {
  return h('select', { name }, options.map(([v, text]) => h('option', { value: v, selected: v === value }, text)));
}

function check(name, key, on) {
  return h('label', { class: 'check' }, h('input', { type: 'checkbox', name, checked: !!on }), h('span', null, t(key)));
}

/** links is one URL field per region (and default), named stream_links.<region>. */
function links(value) {
  return h('fieldset', { class: 'setup-text3' }, h('legend', null, t('setup.streamLinks')),
    regions().map((r) => h('label', { class: 'field' }, h('span', null, r === 'default' ? t('setup.otherRegions') : label('region.', r)),
      input(`stream_links.${r}`, value && value[r], { type: 'url', inputmode: 'url', placeholder: 'https://…' }))));
}

/** textOf collects name.zh/en/hu into a Text, dropping blanks. */
function textOf(form, name) {
  const out = {};
  for (const l of LANGS) {
    const el = form.elements[`${name}.${l}`];
    if (el && el.value.trim()) out[l] = el.value.trim();
  }
  return out;
}

function linksOf(form) {
  const out = {};
  for (const r of regions()) {
    const el = form.elements[`stream_links.${r}`];
    if (el && el.value.trim()) out[r] = el.value.trim();
  }
  return out;
}

/**
 * editor builds a form with Save and Cancel; save(form) returns a promise
 * and the API's refusal is shown in the form. done runs after a save.
 */
function editor(id, title, fields, save, done) {
  const form = h('form', { class: 'setup-form', id, novalidate: true },
    h('h3', null, title), fields,
    h('p', { class: 'form-error', role: 'alert' }),
    h('div', { class: 'setup-actions' },
      h('button', { class: 'btn btn-primary', type: 'submit' }, t('setup.save')),
      h('button', { class: 'btn', type: 'button', onclick: () => show(tab) }, t('common.cancel'))));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const btn = form.querySelector('button[type="submit"]');
    btn.disabled = true;
    try {
      await save(form);
      ui.toast(t('setup.saved'), 'ok');
      await done();
    } catch (e) {
      if (!showError(form, e)) say(e);
    } finally {
      btn.disabled = false;
    }
  });
  return form;
}

/** openEditor puts form in the panel's editor slot and focuses its first field. */
function openEditor(form) {
  const slot = $('#setup-editor');
  slot.replaceChildren(form);
  const first = form.querySelector('input:not([type=hidden]), select, textarea');
  if (first) first.focus();
  form.scrollIntoView({ block: 'nearest' });
}

// ---- lists and pages -------------------------------------------------------------------

/** pager shows page of pages with previous and next; go(n) turns the page. */
function pager(page, total, go) {
  const pages = Math.max(1, Math.ceil(total / PAGE));
  if (pages === 1) return h('p', { class: 'muted small setup-count' }, t('setup.count', { n: total }));
  return h('nav', { class: 'setup-pager', 'aria-label': t('setup.pages') },
    h('button', { class: 'btn btn-small', type: 'button', disabled: page === 0, onclick: () => go(page - 1), dataset: { page: 'prev' } }, t('setup.prev')),
    h('span', { class: 'small' }, t('setup.pageOf', { page: page + 1, pages, n: total })),
    h('button', { class: 'btn btn-small', type: 'button', disabled: page >= pages - 1, onclick: () => go(page + 1), dataset: { page: 'next' } }, t('setup.next')));
}

function table(head, rows, empty) {
  if (!rows.length) return h('p', { class: 'muted' }, t(empty));
  return h('div', { class: 'table-wrap' }, h('table', { class: 'setup-table' },
    h('thead', null, h('tr', null, head.map((k) => h('th', { scope: 'col' }, t(k))))),
    h('tbody', null, rows)));
}

function rowButton(key, onclick, danger = false) {
  return h('button', { class: `btn btn-small${danger ? ' btn-danger' : ''}`, type: 'button', onclick }, t(key));
}

const when = (iso) => (iso ? localValue(iso, venueTZ()).replace('T', ' ') : '');

/** panel fills the panel: a toolbar, the editor slot, the list. */
function panel(toolbar, list) {
  $('#setup-panel').replaceChildren(h('div', { class: 'setup-toolbar' }, toolbar), h('div', { id: 'setup-editor' }), h('div', { id: 'setup-list' }, list));
}

// ---- event ------------------------------------------------------------------------------

function eventDays(e) {
  const a = localValue(e.starts_at, e.venue_tz).slice(0, 10);
  const b = localValue(e.ends_at, e.venue_tz).slice(0, 10);
  return Math.round((Date.parse(b) - Date.parse(a)) / 86400000) + 1;
}

function eventForm(e) {
  const tz = (e && e.venue_tz) || 'Asia/Shanghai';
  const fields = [
    e ? null : fieldRow('setup.slug', input('slug', '', { required: true, maxlength: 64, pattern: '[a-z0-9-]+', autocapitalize: 'none', spellcheck: 'false' }), t('setup.slugHint')),
    trilingual('title', 'setup.title', e && e.title, { maxlength: 200 }),
    trilingual('venue', 'setup.venue', e && e.venue, { maxlength: 200 }),
    fieldRow('setup.venueTZ', input('venue_tz', tz, { required: true }), t('setup.tzHint')),
    fieldRow('setup.viewerTZs', input('viewer_tzs', ((e && e.viewer_tzs) || ['Asia/Shanghai', 'Europe/Budapest']).join(', ')), t('setup.viewerTZsHint')),
    h('fieldset', { class: 'setup-langs' }, h('legend', null, t('setup.languages')),
      LANGS.map((l) => h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'languages', value: l, checked: !e || (e.languages || []).includes(l) }), h('span', null, l)))),
    fieldRow('setup.startsAt', input('starts_at', e ? localValue(e.starts_at, tz) : '', { type: 'datetime-local', required: true })),
    fieldRow('setup.endsAt', input('ends_at', e ? localValue(e.ends_at, tz) : '', { type: 'datetime-local', required: true }), t('setup.venueTime')),
  ];
  return editor('event-form', e ? t('setup.editEvent') : t('setup.newEvent'), fields, async (form) => {
    const f = form.elements;
    const zone = f.venue_tz.value.trim();
    const body = {
      title: textOf(form, 'title'), venue: textOf(form, 'venue'), venue_tz: zone,
      viewer_tzs: f.viewer_tzs.value.split(/[,\s]+/).filter(Boolean),
      languages: [...form.querySelectorAll('[name=languages]:checked')].map((x) => x.value),
    };
    // A time is read in the venue's zone; one that cannot be read is left
    // out and the API says it is required.
    for (const k of ['starts_at', 'ends_at']) {
      let at = null;
      try { at = fromLocal(f[k].value, zone); } catch { at = fromLocal(f[k].value, tz); }
      if (at) body[k] = at;
    }
    if (e) {
      await api('PATCH', `/api/v1/events/${encodeURIComponent(e.slug)}`, { body });
    } else {
      body.slug = f.slug.value.trim();
      const out = await api('POST', '/api/v1/events', { body });
      ui.created = out.slug;
    }
  }, async () => {
    // A new event opens in the console; a changed one reloads its header.
    const slug = ui.created || e.slug;
    location.assign(`/console?event=${encodeURIComponent(slug)}#setup`);
  });
}

async function showEvent(page = 0) {
  let events = [];
  try {
    events = (await api('GET', '/api/v1/events')).events || [];
  } catch (e) {
    say(e);
  }
  const rows = events.slice(page * PAGE, page * PAGE + PAGE).map((e) => h('tr', { dataset: { slug: e.slug }, class: e.slug === ui.slug() ? 'current' : null },
    h('td', null, h('b', null, pick(e.title)), h('br'), h('span', { class: 'muted small' }, e.slug)),
    h('td', null, pick(e.venue) || t('setup.online'), h('br'), h('span', { class: 'muted small' }, `${e.venue_tz} · ${(e.viewer_tzs || []).join(', ')}`)),
    h('td', null, `${localValue(e.starts_at, e.venue_tz).slice(0, 10)} · ${t('setup.days', { n: eventDays(e) })}`, h('br'), h('span', { class: 'muted small' }, (e.languages || []).join(' '))),
    h('td', { class: 'row-actions' }, admin() ? rowButton('setup.edit', () => openEditor(eventForm(e))) : null,
      e.slug !== ui.slug() ? h('a', { class: 'btn btn-small', href: `/console?event=${encodeURIComponent(e.slug)}#setup` }, t('setup.open')) : null)));
  panel(admin() ? h('button', { class: 'btn', type: 'button', id: 'setup-new-event', onclick: () => openEditor(eventForm(null)) }, t('setup.newEvent'))
    : h('p', { class: 'muted' }, t('setup.adminCreates')),
  [table(['setup.colEvent', 'setup.colVenue', 'setup.colDays', 'console.colActions'], rows, 'setup.noEvents'), pager(page, events.length, showEvent)]);
  if (!events.length && admin()) openEditor(eventForm(null));
}

// ---- stages ----------------------------------------------------------------------------

async function loadStages() {
  stages = (await api('GET', `${base()}/stages`)).stages || [];
  return stages;
}

/** nextPosition is the position after the last stage's: a new stage goes last. */
function nextPosition() {
  return stages.reduce((m, st) => Math.max(m, st.position + 1), 1);
}

function stageForm(st) {
  const fields = [
    st ? null : fieldRow('setup.slug', input('slug', '', { required: true, maxlength: 64, autocapitalize: 'none', spellcheck: 'false' }), t('setup.stageSlugHint')),
    trilingual('name', 'setup.name', st && st.name, { maxlength: 200 }),
    fieldRow('setup.position', input('position', st ? st.position : nextPosition(), { type: 'number', min: 0, max: 10000 })),
    links(st && st.stream_links),
  ];
  return editor('stage-form', st ? t('setup.editStage') : t('setup.newStage'), fields, async (form) => {
    const body = { name: textOf(form, 'name'), stream_links: linksOf(form) };
    const pos = form.elements.position.value;
    if (pos !== '') body.position = Number(pos);
    if (st) await api('PATCH', `${base()}/stages/${encodeURIComponent(st.slug)}`, { body });
    else await api('POST', `${base()}/stages`, { body: { ...body, slug: form.elements.slug.value.trim() } });
  }, () => showStages());
}

async function deleteStage(st) {
  const ok = await ui.confirmAction({ title: t('setup.deleteTitle', { name: pick(st.name) || st.slug }), text: t('setup.deleteStageText'), ok: t('setup.delete'), danger: true });
  if (!ok) return;
  try {
    await api('DELETE', `${base()}/stages/${encodeURIComponent(st.slug)}`);
    ui.toast(t('setup.deleted'), 'ok');
  } catch (e) {
    say(e);
  }
  await showStages();
}

async function showStages(page = 0) {
  try {
    await loadStages();
  } catch (e) {
    say(e);
  }
  const rows = stages.slice(page * PAGE, page * PAGE + PAGE).map((st) => h('tr', { dataset: { stage: st.slug } },
    h('td', null, h('b', null, pick(st.name) || st.slug), h('br'), h('span', { class: 'muted small' }, `${st.slug} · #${st.position}`)),
    h('td', { class: 'small' }, Object.entries(st.stream_links || {}).map(([r, u]) => h('div', { class: 'setup-link' }, `${r}: ${u}`))),
    h('td', { class: 'row-actions' }, rowButton('setup.edit', () => openEditor(stageForm(st))), rowButton('setup.delete', () => deleteStage(st), true))));
  panel(h('button', { class: 'btn', type: 'button', id: 'setup-new-stage', onclick: () => openEditor(stageForm(null)) }, t('setup.newStage')),
    [table(['setup.colStage', 'setup.streamLinks', 'console.colActions'], rows, 'setup.noStages'), pager(page, stages.length, showStages)]);
}

// ---- sessions ----------------------------------------------------------------------------

function sessionForm(s) {
  const tz = venueTZ();
  const fields = [
    trilingual('title', 'setup.title', s && s.title, { maxlength: 200 }),
    fieldRow('setup.kind', h('span', null, input('kind', s ? s.kind : 'showcase', { list: 'setup-kinds', required: true, maxlength: 32 }),
      h('datalist', { id: 'setup-kinds' }, KINDS.map((k) => h('option', { value: k }, label('kind.', k)))))),
    fieldRow('setup.stage', select('stage', stages.map((st) => [st.slug, pick(st.name) || st.slug]), s ? s.stage : (stages[0] && stages[0].slug))),
    fieldRow('setup.mode', select('mode', MODES.map((m) => [m, label('mode.', m)]), s ? s.mode : 'hybrid')),
    fieldRow('setup.plannedStart', input('planned_start', s ? localValue(s.planned_start, tz) : '', { type: 'datetime-local', required: true })),
    fieldRow('setup.plannedEnd', input('planned_end', s ? localValue(s.planned_end, tz) : '', { type: 'datetime-local', required: true }), t('setup.venueTimeIn', { tz })),
    check('fixed_start', 'setup.fixedStart', s && s.fixed_start),
    links(s && s.stream_links),
  ];
  return editor('session-form', s ? t('setup.editSession') : t('setup.newSession'), fields, async (form) => {
    const f = form.elements;
    const body = {
      title: textOf(form, 'title'), kind: f.kind.value.trim(), stage: f.stage.value, mode: f.mode.value,
      fixed_start: f.fixed_start.checked, stream_links: linksOf(form),
    };
    for (const k of ['planned_start', 'planned_end']) {
      const at = fromLocal(f[k].value, tz);
      if (at) body[k] = at;
    }
    if (s) await api('PATCH', `/api/v1/sessions/${s.id}`, { body });
    else await api('POST', `${base()}/sessions`, { body });
  }, () => showSessions());
}

async function loadSessions() {
  return (await api('GET', `${base()}/sessions`)).sessions || [];
}

async function showSessions(page = 0) {
  let sessions = [];
  try {
    [sessions] = await Promise.all([loadSessions(), loadStages()]);
  } catch (e) {
    say(e);
  }
  const rows = sessions.slice(page * PAGE, page * PAGE + PAGE).map((s) => h('tr', { dataset: { session: String(s.id) } },
    h('td', { class: 'small' }, when(s.planned_start), h('br'), when(s.planned_end).slice(11)),
    h('td', null, h('b', null, pick(s.title)), h('br'), h('span', { class: 'muted small' },
      [label('kind.', s.kind), s.stage, label('mode.', s.mode), s.fixed_start ? t('setup.fixed') : null].filter(Boolean).join(' · '))),
    h('td', null, label('state.', s.state)),
    h('td', { class: 'row-actions' }, rowButton('setup.edit', () => openEditor(sessionForm(s))),
      rowButton('setup.runOfShow', () => show('items', s.id)))));
  const add = h('button', { class: 'btn', type: 'button', id: 'setup-new-session', disabled: !stages.length, onclick: () => openEditor(sessionForm(null)) }, t('setup.newSession'));
  panel([add, stages.length ? null : h('span', { class: 'muted small' }, t('setup.stageFirst'))],
    [table(['console.colTime', 'console.colSession', 'console.colState', 'console.colActions'], rows, 'setup.noSessions'), pager(page, sessions.length, showSessions)]);
}

// ---- run-of-show -------------------------------------------------------------------------

let itemsSession = 0;

/** itemRow is one editable item: an achievement of the catalogue or a free title. */
function itemRow(sl, catalogue) {
  const options = [['', t('setup.freeItem')], ...catalogue.map((a) => [String(a.id), `${a.ref ? `${a.ref} · ` : ''}${pick(a.title)}`])];
  const row = h('li', { class: 'setup-item', dataset: { id: String(sl.id || 0) } },
    select('achievement_id', options, sl.achievement_id ? String(sl.achievement_id) : ''),
    input('title', sl.title ? pick(sl.title) : '', { placeholder: t('setup.itemTitle'), 'aria-label': t('setup.itemTitle'), maxlength: 200 }),
    input('presenter', sl.presenter || '', { placeholder: t('setup.presenter'), 'aria-label': t('setup.presenter'), maxlength: 200 }),
    input('minutes', sl.planned_seconds ? Math.round(sl.planned_seconds / 6) / 10 : 8, { type: 'number', min: 0.5, max: 240, step: 0.5, 'aria-label': t('setup.minutes'), class: 'setup-minutes' }),
    h('span', { class: 'row-actions' },
      h('button', { class: 'btn btn-small', type: 'button', 'aria-label': t('setup.up'), onclick: (ev) => { const li = ev.currentTarget.closest('li'); if (li.previousElementSibling) li.previousElementSibling.before(li); } }, '↑'),
      h('button', { class: 'btn btn-small', type: 'button', 'aria-label': t('setup.down'), onclick: (ev) => { const li = ev.currentTarget.closest('li'); if (li.nextElementSibling) li.nextElementSibling.after(li); } }, '↓'),
      h('button', { class: 'btn btn-small btn-danger', type: 'button', 'aria-label': t('setup.remove'), onclick: (ev) => ev.currentTarget.closest('li').remove() }, '×')));
  const free = () => { row.querySelector('[name=title]').hidden = !!row.querySelector('[name=achievement_id]').value; };
  row.querySelector('[name=achievement_id]').addEventListener('change', free);
  free();
  return row;
}

async function showItems(sessionId) {
  let sessions = [];
  let catalogue = [];
  try {
    [sessions, catalogue] = await Promise.all([loadSessions(), api('GET', `${base()}/achievements`).then((o) => o.achievements || [])]);
  } catch (e) {
    say(e);
  }
  if (!sessions.length) {
    panel(null, h('p', { class: 'muted' }, t('setup.noSessions')));
    return;
  }
  itemsSession = sessions.some((s) => s.id === sessionId) ? sessionId : (sessions.some((s) => s.id === itemsSession) ? itemsSession : sessions[0].id);
  const pickSession = select('session', sessions.map((s) => [String(s.id), `${when(s.planned_start)} · ${pick(s.title)}`]), String(itemsSession));
  pickSession.addEventListener('change', () => showItems(Number(pickSession.value)));
  let sc = { slots: [] };
  try {
    sc = await api('GET', `/api/v1/sessions/${itemsSession}/showcase`);
  } catch (e) {
    say(e);
  }
  const list = h('ol', { class: 'setup-items', id: 'setup-items' }, (sc.slots || []).map((sl) => itemRow(sl, catalogue)));
  const form = h('form', { class: 'setup-form', id: 'items-form', novalidate: true },
    list,
    h('button', { class: 'btn btn-small', type: 'button', id: 'setup-add-item', onclick: () => { list.append(itemRow({}, catalogue)); list.lastElementChild.querySelector('select').focus(); } }, t('setup.addItem')),
    h('p', { class: 'form-error', role: 'alert' }),
    h('button', { class: 'btn btn-primary', type: 'submit' }, t('setup.saveItems')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const slots = [...list.children].map((li) => {
      const v = (n) => li.querySelector(`[name=${n}]`).value.trim();
      const sl = { planned_seconds: Math.round(Number(v('minutes')) * 60) };
      const id = Number(li.dataset.id);
      if (id) sl.id = id;
      if (v('achievement_id')) sl.achievement_id = Number(v('achievement_id'));
      else sl.title = { [currentLang()]: v('title') };
      if (!sl.achievement_id && v('presenter')) sl.presenter = v('presenter');
      return sl;
    });
    try {
      await api('PUT', `/api/v1/sessions/${itemsSession}/showcase`, { body: { slots } });
      ui.toast(t('setup.saved'), 'ok');
      await showItems(itemsSession);
    } catch (e) {
      // "slots[2]: …" names the item: mark its row.
      const m = e instanceof ApiError && /^slots\[(\d+)\]/.exec(e.message);
      if (m && list.children[+m[1]]) list.children[+m[1]].setAttribute('aria-invalid', 'true');
      if (!showError(form, e)) say(e);
    }
  });
  panel(fieldRow('setup.session', pickSession), form);
  $('#setup-panel').dataset.session = String(itemsSession);
}

// ---- achievements ------------------------------------------------------------------------

function achievementForm(a) {
  const fields = [
    fieldRow('setup.ref', input('ref', a && a.ref, { maxlength: 32 })),
    trilingual('title', 'setup.title', a && a.title, { maxlength: 300 }),
    fieldRow('setup.institution', input('institution', a && a.institution, { maxlength: 200 })),
    fieldRow('setup.region', input('region', a && a.region, { maxlength: 100 })),
    fieldRow('setup.field', input('field', a && a.field, { maxlength: 100 })),
    fieldRow('setup.presenter', input('presenter', a && a.presenter, { maxlength: 200 })),
    fieldRow('setup.presenterMode', select('presenter_mode', ['onsite', 'remote'].map((m) => [m, label('mode.', m)]), a ? a.presenter_mode : 'onsite')),
    fieldRow('setup.contact', input('contact', a && a.contact, { maxlength: 200 })),
  ];
  return editor('achievement-form', a ? t('setup.editAchievement') : t('setup.newAchievement'), fields, async (form) => {
    const f = form.elements;
    const body = { title: textOf(form, 'title') };
    for (const k of ['ref', 'institution', 'region', 'field', 'presenter', 'presenter_mode', 'contact']) body[k] = f[k].value.trim();
    if (a) await api('PATCH', `/api/v1/achievements/${a.id}`, { body });
    else await api('POST', `${base()}/achievements`, { body });
  }, () => showAchievements());
}

async function deleteAchievement(a) {
  const ok = await ui.confirmAction({ title: t('setup.deleteTitle', { name: pick(a.title) }), text: t('setup.deleteAchievementText'), ok: t('setup.delete'), danger: true });
  if (!ok) return;
  try {
    await api('DELETE', `/api/v1/achievements/${a.id}`);
    ui.toast(t('setup.deleted'), 'ok');
  } catch (e) {
    say(e);
  }
  await showAchievements();
}

let achievementQuery = '';

async function showAchievements(page = 0) {
  let all = [];
  try {
    all = (await api('GET', `${base()}/achievements`)).achievements || [];
  } catch (e) {
    say(e);
  }
  const q = achievementQuery.toLowerCase();
  const found = q ? all.filter((a) => [a.ref, a.institution, a.presenter, ...Object.values(a.title || {})].join(' ').toLowerCase().includes(q)) : all;
  const rows = found.slice(page * PAGE, page * PAGE + PAGE).map((a) => h('tr', { dataset: { achievement: String(a.id) } },
    h('td', { class: 'small' }, a.ref || ''),
    h('td', null, h('b', null, pick(a.title)), h('br'), h('span', { class: 'muted small' }, [a.institution, a.presenter].filter(Boolean).join(' · '))),
    h('td', { class: 'row-actions' }, rowButton('setup.edit', () => openEditor(achievementForm(a))), rowButton('setup.delete', () => deleteAchievement(a), true))));
  panel([h('button', { class: 'btn', type: 'button', id: 'setup-new-achievement', onclick: () => openEditor(achievementForm(null)) }, t('setup.newAchievement')),
    searchBox(achievementQuery, (v) => { achievementQuery = v; showAchievements(0); }),
    importer('achievements', () => showAchievements())],
  [table(['setup.ref', 'setup.colAchievement', 'console.colActions'], rows, 'setup.noAchievements'), pager(page, found.length, showAchievements)]);
}

function searchBox(value, go) {
  const box = h('input', { type: 'search', name: 'q', value, placeholder: t('setup.search'), 'aria-label': t('setup.search'), class: 'setup-search' });
  const form = h('form', { class: 'setup-search-form', role: 'search' }, box);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    go(box.value.trim());
  });
  return form;
}

// ---- CSV import ---------------------------------------------------------------------------

/**
 * importer is a file input that sends a CSV to the import endpoint of
 * what ('achievements' or 'attendees'): all or nothing, every bad row
 * listed with its row and column. The console's import preview, when
 * present, takes over the same button (data-import).
 */
function importer(what, done) {
  const file = h('input', { type: 'file', accept: '.csv,text/csv', name: 'file', id: `setup-import-${what}`, class: 'setup-file' });
  const out = h('div', { class: 'setup-import-result', id: `setup-import-${what}-result`, 'aria-live': 'polite' });
  file.addEventListener('change', async () => {
    const f = file.files && file.files[0];
    if (!f) return;
    out.replaceChildren();
    const fd = new FormData();
    fd.append('file', f);
    try {
      const res = await api('POST', `${base()}/${what}/import`, { form: fd, timeout: 60000 });
      await done();
      // The list re-rendered the panel: say it in the new one.
      ($(`#setup-import-${what}-result`) || out).replaceChildren(h('p', { class: 'notice notice-ok' },
        t('setup.imported', { created: res.created, updated: res.updated, unchanged: res.unchanged })));
    } catch (e) {
      if (!(e instanceof ApiError) || e.offline) {
        say(e);
        return;
      }
      const rows = (e.details && e.details.errors) || [];
      out.replaceChildren(h('p', { class: 'form-error', role: 'alert' }, `${t('setup.importRefused')} ${e.message}`),
        rows.length ? h('ul', { class: 'setup-import-errors' }, rows.slice(0, 100).map((r) => h('li', null, `${t('setup.row')} ${r.row}${r.column ? ` · ${r.column}` : ''}: ${r.message}`))) : null);
    } finally {
      file.value = '';
    }
  });
  return h('div', { class: 'setup-import', dataset: { import: what } },
    h('label', { class: 'btn', for: `setup-import-${what}` }, t('setup.importCSV')), file, out);
}

// ---- attendees ---------------------------------------------------------------------------

function attendeeForm(a) {
  const fields = [
    fieldRow('setup.name', input('name', a && a.name, { required: true, maxlength: 200 })),
    fieldRow('setup.organization', input('organization', a && a.organization, { maxlength: 200 })),
    fieldRow('setup.country', input('country', a && a.country, { maxlength: 100 })),
    fieldRow('setup.email', input('email', a && a.email, { type: 'email', maxlength: 254 })),
    fieldRow('setup.externalID', input('external_id', a && a.external_id, { maxlength: 128 })),
    fieldRow('setup.category', input('category', a ? a.category : 'guest', { maxlength: 32, list: 'setup-categories' }),
      h('datalist', { id: 'setup-categories' }, CATEGORIES.map((c) => h('option', { value: c }, label('category.', c))))),
  ];
  return editor('attendee-form', a ? t('setup.editAttendee') : t('setup.newAttendee'), fields, async (form) => {
    const f = form.elements;
    const body = {};
    for (const k of ['name', 'organization', 'country', 'email', 'external_id', 'category']) body[k] = f[k].value.trim();
    if (a) await api('PATCH', `/api/v1/attendees/${encodeURIComponent(a.id)}`, { body });
    else await api('POST', `${base()}/attendees`, { body });
  }, () => showAttendees(attendeePage));
}

async function setRevoked(a, revoked) {
  if (revoked) {
    const ok = await ui.confirmAction({ title: t('setup.revokeTitle', { name: a.name }), text: t('setup.revokeText'), ok: t('setup.revoke'), danger: true });
    if (!ok) return;
  }
  try {
    await api('PATCH', `/api/v1/attendees/${encodeURIComponent(a.id)}`, { body: { revoked } });
    ui.toast(t('setup.saved'), 'ok');
  } catch (e) {
    say(e);
  }
  await showAttendees(attendeePage);
}

let attendeeQuery = '';
let attendeePage = 0;
let printCategory = '';

/** printURL is the address of the printed tickets (layout sheet or badges) of the filter. */
function printURL(layout, filter) {
  const q = new URLSearchParams({ layout });
  for (const [k, v] of Object.entries(filter)) if (v) q.set(k, v);
  q.set('lang', currentLang());
  return `/e/${encodeURIComponent(ui.slug())}/tickets?${q}`;
}

/** printLinks prints the listed attendees (the search, and a category
 * chosen here) as ticket sheets or badges; revoked guests are left out. */
function printLinks() {
  const links = h('span', { class: 'setup-print-links' });
  const draw = () => {
    const filter = { q: attendeeQuery, category: printCategory };
    links.replaceChildren(
      h('a', { class: 'btn', id: 'setup-print-sheets', href: printURL('sheet', filter), target: '_blank', rel: 'noopener' }, t('setup.sheetsAll')),
      h('a', { class: 'btn', id: 'setup-print-badges', href: printURL('badges', filter), target: '_blank', rel: 'noopener' }, t('setup.badgesAll')));
  };
  const cat = select('print_category', [['', t('setup.allCategories')], ...CATEGORIES.map((c) => [c, label('category.', c)])], printCategory);
  cat.id = 'setup-print-category';
  cat.setAttribute('aria-label', t('setup.category'));
  cat.addEventListener('change', () => {
    printCategory = cat.value;
    draw();
  });
  draw();
  return h('div', { class: 'setup-print' }, cat, links);
}

async function showAttendees(page = 0) {
  attendeePage = page;
  let out = { attendees: [], total: 0 };
  try {
    const q = new URLSearchParams({ limit: String(PAGE), offset: String(page * PAGE) });
    if (attendeeQuery) q.set('q', attendeeQuery);
    out = await api('GET', `${base()}/attendees?${q}`);
  } catch (e) {
    say(e);
  }
  const rows = (out.attendees || []).map((a) => h('tr', { dataset: { attendee: a.id }, class: a.revoked ? 'muted' : null },
    h('td', null, h('b', null, a.name), h('br'), h('span', { class: 'muted small' }, [a.organization, a.country].filter(Boolean).join(' · '))),
    h('td', null, label('category.', a.category)),
    h('td', null, a.revoked ? t('setup.revoked') : (a.checked_in_at ? t('setup.checkedIn') : t('setup.notYet'))),
    h('td', { class: 'row-actions' }, rowButton('setup.edit', () => openEditor(attendeeForm(a))),
      h('a', { class: 'btn btn-small', href: `/api/v1/attendees/${encodeURIComponent(a.id)}/ticket.png`, target: '_blank', rel: 'noopener' }, t('setup.ticket')),
      a.revoked ? null : h('a', { class: 'btn btn-small', href: printURL('sheet', { ids: a.id }), target: '_blank', rel: 'noopener', dataset: { print: 'sheet' } }, t('setup.sheet')),
      a.revoked ? rowButton('setup.restore', () => setRevoked(a, false)) : rowButton('setup.revoke', () => setRevoked(a, true), true))));
  panel([h('button', { class: 'btn', type: 'button', id: 'setup-new-attendee', onclick: () => openEditor(attendeeForm(null)) }, t('setup.newAttendee')),
    searchBox(attendeeQuery, (v) => { attendeeQuery = v; showAttendees(0); }),
    printLinks(),
    importer('attendees', () => showAttendees(0))],
  [table(['setup.name', 'setup.category', 'console.colState', 'console.colActions'], rows, 'setup.noAttendees'), pager(page, out.total || 0, showAttendees)]);
}

// ---- tabs ----------------------------------------------------------------------------------

const TABS = {
  event: showEvent,
  stages: showStages,
  sessions: showSessions,
  items: showItems,
  achievements: showAchievements,
  attendees: showAttendees,
};

/** show opens a tab (arg: what it opens at, e.g. a session's run-of-show). */
async function show(name, arg) {
  if (!ui.slug()) name = 'event';
  tab = name;
  for (const b of $('#setup-tabs').children) b.setAttribute('aria-selected', String(b.dataset.tab === name));
  await TABS[name](arg);
  $('#setup').dataset.tab = name;
}

function tabs() {
  const names = ui.slug() ? Object.keys(TABS) : ['event'];
  $('#setup-tabs').replaceChildren(...names.map((n) => h('button', {
    class: 'stage-tab', type: 'button', role: 'tab', dataset: { tab: n }, 'aria-selected': String(n === tab),
    onclick: () => show(n),
  }, t(`setup.tab.${n}`))));
}

/** initSetup wires the set-up card. deps: confirmAction and toast from
 * the console, slug() the console's event ("" when there is none). */
export async function initSetup(deps) {
  ui = deps;
  const root = $('#setup');
  if (!root) return;
  root.hidden = false;
  if (ui.slug()) {
    try {
      event = await api('GET', `/api/v1/events/${encodeURIComponent(ui.slug())}`);
    } catch {
      event = null;
    }
  }
  tab = ui.slug() ? 'stages' : 'event';
  if (location.hash === '#setup' && ui.slug()) tab = 'stages';
  tabs();
  onLangChange(() => {
    tabs();
    show(tab);
  });
  await show(tab);
  if (!ui.slug() || location.hash === '#setup') root.scrollIntoView({ block: 'start' });
}
