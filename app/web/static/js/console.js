// The organizer console /console: one stage at a time (?stage=, tabs) —
// what is on it now and next, its run-of-show, Next / Skip / Delay for the
// session on it whatever its kind, its sessions with the moves their state
// allows (confirmation for moves that cannot be undone) and a warning with
// what to do when a fixed-start session cannot start on time; a trilingual announcement composer with preview, live counts
// and the audit trail. It follows the event through the same live
// connection as viewers, so what it shows is what viewers see; a conflict
// with another organizer is said plainly and the console catches up.

import { $, $$, h, keyed, setText, store } from './dom.js';
import { currentLang, fmtNumber, initLang, LANGS, langSwitch, onLangChange, pick, t } from './i18n.js';
import { api, ApiError, logout } from './api.js';
import { LiveClient } from './live-client.js';
import { LiveState } from './live-state.js';
import { itemLine, itemMeta, kindName, label, slotTitle, span, stateChip, zoneTimes } from './render.js';
import { dateTime, viewerZones, when } from './time.js';
import { initAccounts } from './accounts.js';
import { initSetup } from './console-setup.js';
import { mountAnnouncements } from './console-announcements.js';
import { takeOverImports } from './console-import.js';

const EVENT_KEY = 'hc.console.event';
const STAGE_KEY = 'hc.console.stage';
const AUDIT_PAGE = 20;

let slug = '';
let state = new LiveState();
let client = null;
let events = [];
let chosenStage = new URLSearchParams(location.search).get('stage') || store.get(STAGE_KEY) || '';
let busy = false;
let previewLang = currentLang();
let auditEntries = [];
let auditNext = 0;
let auditTimer = null;
let toastTimer = null;
let renderAnnouncementList = () => {}; // set once the event's live state exists

// ---- toasts and the confirmation dialog ------------------------------------------

/** toast says something briefly without moving the layout; kind is info,
 * ok, warn or bad (warn and bad stay longer and are read at once). */
function toast(text, kind = 'ok') {
  const el = $('#toast');
  el.className = `toast notice notice-${kind}`;
  el.setAttribute('role', kind === 'bad' || kind === 'warn' ? 'alert' : 'status');
  el.textContent = text;
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => {
    el.hidden = true;
  }, kind === 'ok' || kind === 'info' ? 4000 : 9000);
}

/** confirmAction asks in a modal dialog; resolves true on confirm. The
 * safe button has the focus for moves that cannot be undone. */
function confirmAction({ title, text, ok, danger = false }) {
  const dlg = $('#confirm');
  setText($('#confirm-title'), title);
  setText($('#confirm-text'), text);
  const okBtn = $('#confirm-ok');
  setText(okBtn, ok);
  okBtn.className = danger ? 'btn btn-danger-solid' : 'btn btn-primary';
  setText($('#confirm-cancel'), t('common.cancel'));
  return new Promise((resolve) => {
    const done = () => {
      // The close event of a dialog closed a moment ago can arrive after
      // this one opened: it is not this dialog's answer.
      if (dlg.open) return;
      dlg.removeEventListener('close', done);
      resolve(dlg.returnValue === 'ok');
    };
    dlg.returnValue = '';
    dlg.addEventListener('close', done);
    dlg.showModal();
    (danger ? $('#confirm-cancel') : okBtn).focus();
  });
}

// ---- actions ----------------------------------------------------------------------

/** explain turns an API error into a sentence for the organizer and
 * refreshes what the conflict shows was stale. */
async function explain(e, sessionId) {
  if (!(e instanceof ApiError)) {
    toast(t('console.failed'), 'bad');
    return;
  }
  if (e.offline) {
    toast(t('console.notSent'), 'bad');
    return;
  }
  if (e.code === 'stale_slot') {
    const d = e.details;
    toast(d && d.position ? t('console.staleSlot', { n: d.position }) : t('console.staleNothing'), 'warn');
    await refreshShowcase(sessionId);
    return;
  }
  if (e.code === 'conflict' && e.details && e.details.session_id) {
    const other = state.sessions.get(e.details.session_id);
    toast(t('console.stageBusy', { title: other ? pick(other.title) : `#${e.details.session_id}` }), 'warn');
    await refreshSessions();
    return;
  }
  if (e.code === 'invalid_transition') {
    const st = e.details && e.details.state;
    toast(t('console.staleState', { state: label('state.', st || '') }), 'warn');
    await refreshSessions();
    return;
  }
  if (e.status === 401) {
    toast(t('console.loginExpired'), 'bad');
    return;
  }
  if (e.status === 403) {
    toast(t('console.forbidden'), 'bad');
    return;
  }
  toast(`${t('console.failed')} ${e.message}`, 'bad');
}

async function refreshShowcase(sessionId) {
  if (!sessionId) return;
  try {
    const sc = await api('GET', `/api/v1/sessions/${sessionId}/showcase`);
    state.putShowcase(sc);
    render();
  } catch {
    /* the live connection will bring it */
  }
}

async function refreshSessions() {
  try {
    const out = await api('GET', `/api/v1/events/${encodeURIComponent(slug)}/sessions`);
    for (const s of out.sessions || []) state.putSession(s);
    render();
  } catch {
    /* the live connection will bring it */
  }
}

/** run sends one action; only one at a time. */
async function run(fn, sessionId) {
  if (busy) return;
  busy = true;
  renderControl();
  try {
    await fn();
  } catch (e) {
    await explain(e, sessionId);
  } finally {
    busy = false;
    render();
    scheduleAudit(300);
  }
}

/** stageNow is the chosen stage's entry of state.stages() (the first
 * stage when the choice is unknown). */
function stageNow() {
  const all = state.stages();
  return all.find((st) => st.stage === chosenStage) || all[0] || null;
}

/** controlled is the run-of-show the controls act on: that of the session
 * on the chosen stage, {session, slots, current, next}; a session without
 * items has empty slots. null when nothing is on the stage. */
function controlled() {
  const st = stageNow();
  if (!st || !st.session) return null;
  return state.showcases.get(st.session.id) || { session: st.session, slots: [], current: null, next: null };
}

async function doNext() {
  const sc = controlled();
  if (!sc || !canAdvance(sc)) return;
  const cur = sc.current;
  const nxt = sc.next;
  const ok = await confirmAction({
    title: t('console.confirmNextTitle'),
    text: nxt
      ? t('console.confirmNext', { from: cur.position, to: nxt.position, title: slotTitle(nxt) })
      : t('console.confirmLast', { n: cur.position }),
    ok: t('console.next'),
  });
  if (!ok) return;
  await run(async () => {
    const out = await api('POST', `/api/v1/sessions/${sc.session.id}/showcase/advance`, { body: { expected_slot_id: cur.id } });
    state.putShowcase(out);
    const now = out.current;
    toast(now ? t('console.advanced', { n: now.position }) : t('console.finishedLast'), 'ok');
  }, sc.session.id);
}

async function doSkip() {
  const sc = controlled();
  if (!sc || !sc.next || !isRunning(sc.session)) return;
  const nxt = sc.next;
  const ok = await confirmAction({
    title: t('console.confirmSkipTitle'),
    text: t('console.confirmSkip', { n: nxt.position, title: slotTitle(nxt) }),
    ok: t('console.skipNext'),
    danger: true,
  });
  if (!ok) return;
  await run(async () => {
    const out = await api('POST', `/api/v1/sessions/${sc.session.id}/showcase/skip`, { body: { slot_id: nxt.id } });
    state.putShowcase(out);
    toast(t('console.skipped', { n: nxt.position }), 'ok');
  }, sc.session.id);
}

async function doDelay(minutes) {
  const sc = controlled();
  if (!sc || !canDelay(sc.session)) return;
  await run(async () => {
    const s = await api('POST', `/api/v1/sessions/${sc.session.id}/delay`, { body: { minutes } });
    state.putSession(s);
    toast(minutes > 0 ? t('console.delayed', { n: minutes }) : t('console.advancedBy', { n: -minutes }), 'ok');
  }, sc.session.id);
}

const MOVES = {
  scheduled: ['start', 'cancel'],
  live: ['pause', 'end'],
  paused: ['resume', 'end'],
};
const IRREVERSIBLE = new Set(['end', 'cancel']);

async function doMove(session, action) {
  if (IRREVERSIBLE.has(action) || action === 'start') {
    const ok = await confirmAction({
      title: t(`console.confirm.${action}.title`),
      text: t(`console.confirm.${action}`, { title: pick(session.title) }),
      ok: t(`action.${action}`),
      danger: IRREVERSIBLE.has(action),
    });
    if (!ok) return;
  }
  await run(async () => {
    const s = await api('POST', `/api/v1/sessions/${session.id}/${action}`);
    state.putSession(s);
    if (state.showcases.has(s.id)) await refreshShowcase(s.id);
    toast(t('console.moved', { title: pick(s.title), state: label('state.', s.state) }), 'ok');
  }, session.id);
}

// ---- rendering ----------------------------------------------------------------------

const isRunning = (s) => s.state === 'live' || s.state === 'paused';
const canAdvance = (sc) => isRunning(sc.session) && !!sc.current;
const canDelay = (s) => ['scheduled', 'live', 'paused'].includes(s.state);

function zones() {
  return viewerZones(state.event).slice(0, 2);
}

function slotBlock(slot, kind) {
  const zs = zones();
  if (!slot) {
    return [h('p', { class: 'label' }, t(kind === 'now' ? 'console.presenting' : 'live.upNext')),
      h('p', { class: 'ctl-title muted' }, t(kind === 'now' ? 'console.nothingPresenting' : 'live.nothingNext'))];
  }
  return [
    h('p', { class: 'label' }, t(kind === 'now' ? 'console.presenting' : 'live.upNext'),
      h('span', { class: 'pos' }, t('console.slot', { n: slot.position }))),
    h('p', { class: 'ctl-title', dataset: { slot: slot.id } }, slotTitle(slot)),
    h('p', { class: 'meta' }, itemMeta(slot)),
    h('p', { class: 'times-label' }, t(kind === 'now' ? 'console.expectedEnd' : 'live.expectedStart')),
    kind === 'now' ? zoneTimes(slot.expected_end, slot.planned_end, zs) : zoneTimes(slot.expected_start, slot.planned_start, zs),
  ];
}

function renderControl() {
  const stages = state.stages();
  const st = stageNow();
  if (st) chosenStage = st.stage;
  keyed($('#stage-tabs'), `${currentLang()}|${stages.map((x) => `${x.stage}:${JSON.stringify(x.def.name)}:${x.session ? x.session.state : ''}`).join(',')}|${chosenStage}`,
    () => stages.map((x) => h('button', {
      type: 'button', role: 'tab', class: 'stage-tab', 'aria-selected': String(x.stage === chosenStage), dataset: { stage: x.stage },
      onclick: () => pickStage(x.stage),
    }, pick(x.def.name) || x.stage, x.session && (x.session.state === 'live' || x.session.state === 'paused')
      ? h('span', { class: 'onair', 'aria-hidden': 'true' }) : null)));
  const sc = controlled();
  const zsKey = `${zones().map((z) => z.tz).join(',')}|${state.catalogue}`;
  const slotKey = (x) => (x ? `${x.id}:${x.state}:${x.expected_start}:${x.expected_end}` : '-');
  keyed($('#ctl-now'), `${currentLang()}|${zsKey}|${sc ? `${sc.session.id}:${slotKey(sc.current)}` : '-'}`, () => slotBlock(sc && sc.current, 'now'));
  keyed($('#ctl-next'), `${currentLang()}|${zsKey}|${sc ? `${sc.session.id}:${slotKey(sc.next)}` : '-'}`, () => slotBlock(sc && sc.next, 'next'));
  const where = st ? pick(st.def.name) || st.stage : '';
  setText($('#ctl-sub'), sc
    ? `${where} · ${pick(sc.session.title)} · ${label('state.', sc.session.state)}${sc.slots.length ? ` · ${t('console.itemCount', { n: sc.slots.length })}` : ''}`
    : `${where} · ${t('console.stageFree')}`);
  $('#btn-next').disabled = busy || !sc || !canAdvance(sc);
  $('#btn-skip').disabled = busy || !sc || !sc.next || !isRunning(sc.session);
  for (const b of $$('[data-delay]')) b.disabled = busy || !sc || !canDelay(sc.session);
  renderRos(sc);
  renderConflicts(st);
}

/** pickStage switches the console to another stage (remembered). */
function pickStage(stage) {
  chosenStage = stage;
  store.set(STAGE_KEY, stage);
  const u = new URL(location.href);
  u.searchParams.set('stage', stage);
  history.replaceState(null, '', u.pathname + u.search);
  render();
}

const MARKS = { done: '✓', skipped: '↷', presenting: '▶', pending: '' };

/** renderRos lists the run-of-show of the session on the stage. */
function renderRos(sc) {
  const zs = zones();
  const key = [currentLang(), state.catalogue, zs.map((z) => z.tz).join(','), sc ? sc.session.id : 0,
    sc ? sc.slots.map((x) => `${x.id}:${x.state}:${x.expected_start}`).join(',') : '-'].join('#');
  setText($('#ctl-ros-sub'), sc && sc.slots.length ? pick(sc.session.title) : t('console.noItems'));
  keyed($('#ctl-ros'), key, () => (sc ? sc.slots.map((x) => h('li', { class: `ros-row is-${x.state}`, dataset: { slot: x.id, state: x.state } },
    h('span', { class: 'ros-pos' }, String(x.position)),
    h('span', { class: 'ros-mark', 'aria-hidden': 'true' }, MARKS[x.state] ?? ''),
    h('span', { class: 'ros-body' }, h('span', { class: 'ros-title' }, slotTitle(x)), h('span', { class: 'ros-meta' }, itemLine(x))),
    h('span', { class: 'ros-time' }, h('time', { datetime: x.expected_start }, when(x.expected_start, zs[0].tz))))) : []));
}

/** conflictText says what is wrong with a fixed-start session and what to
 * do about it, for organizers (viewers never see it). */
function conflictText(s) {
  const c = s.conflict;
  const other = c.session_id ? state.sessions.get(c.session_id) : null;
  const vars = { title: pick(s.title), time: when(s.planned_start, zones()[0].tz), d: span(c.minutes), other: other ? pick(other.title) : '' };
  if (c.kind === 'overlap') return t('console.conflict.overlap', vars);
  return t(other ? 'console.conflict.overdueBusy' : 'console.conflict.overdue', vars);
}

/** renderConflicts warns about the stage's fixed-start sessions that
 * cannot start on time. */
function renderConflicts(st) {
  const list = state.sessionList().filter((s) => s.conflict && (!st || s.stage === st.stage));
  keyed($('#ctl-conflicts'), `${currentLang()}|${list.map((s) => `${s.id}:${JSON.stringify(s.conflict)}`).join(',')}`,
    () => list.map((s) => h('p', { class: 'notice notice-warn conflict', role: 'alert', dataset: { session: s.id, kind: s.conflict.kind } },
      h('span', { class: 'badge badge-conflict' }, t('console.conflictBadge')), ' ', conflictText(s))));
}

function renderSessions() {
  const st = stageNow();
  const list = state.sessionList().filter((s) => !st || s.stage === st.stage);
  const zs = zones();
  const key = [currentLang(), busy, zs.map((z) => z.tz).join(','),
    list.map((s) => `${s.id}:${s.state}:${s.expected_start}:${s.planned_start}:${s.version}:${s.conflict ? s.conflict.kind : ''}`).join(',')].join('#');
  keyed($('#sessions'), key, () => list.map((s) => h('tr', { class: `is-${s.state}`, dataset: { session: s.id } },
    h('td', { class: 'col-time' }, zoneTimes(s.expected_start, s.planned_start, zs, { cls: 'zones-compact' })),
    h('th', { scope: 'row', class: 'col-title' },
      h('span', { class: 'sess-title' }, pick(s.title)),
      h('span', { class: 'sess-meta' }, [kindName(s.kind), label('mode.', s.mode)].filter(Boolean).join(' · '),
        s.fixed_start ? h('span', { class: 'badge badge-fixed' }, t('live.fixedStart')) : null,
        s.conflict ? h('span', { class: 'badge badge-conflict', title: conflictText(s) }, t('console.conflictBadge')) : null)),
    h('td', { class: 'col-state' }, stateChip(s.state)),
    h('td', { class: 'col-actions' }, (MOVES[s.state] || []).map((action) => h('button', {
      type: 'button',
      class: `btn btn-small${IRREVERSIBLE.has(action) ? ' btn-danger' : action === 'start' ? ' btn-primary' : ''}`,
      disabled: busy,
      dataset: { action, session: s.id },
      onclick: () => doMove(s, action),
    }, t(`action.${action}`))), (MOVES[s.state] ? null : h('span', { class: 'muted' }, '—'))))));
}

function renderCounts() {
  const att = state.attendance || { checked_in: 0, expected: 0 };
  const pr = state.presence || { total: 0, regions: {} };
  keyed($('#counts'), [currentLang(), att.checked_in, att.expected, pr.total, JSON.stringify(pr.regions)].join('#'), () => {
    const pct = att.expected > 0 ? Math.min(100, Math.round((att.checked_in / att.expected) * 100)) : 0;
    const bar = h('span', { class: 'meter-fill' });
    bar.style.width = `${pct}%`;
    return [
      h('div', { class: 'count' },
        h('p', { class: 'count-label' }, t('live.onsite')),
        h('p', { class: 'count-num', id: 'console-onsite' }, fmtNumber(att.checked_in), h('span', { class: 'count-of' }, ` / ${fmtNumber(att.expected)}`)),
        h('div', { class: 'meter', role: 'img', 'aria-label': t('live.checkedInOf', { n: att.checked_in, total: att.expected }) }, bar)),
      h('div', { class: 'count' },
        h('p', { class: 'count-label' }, t('live.online')),
        h('p', { class: 'count-num', id: 'console-online' }, fmtNumber(pr.total || 0)),
        h('ul', { class: 'region-counts' }, Object.entries(pr.regions || {}).map(([r, n]) => h('li', null,
          h('span', null, label('region.', r)), h('b', null, fmtNumber(n)))))),
    ];
  });
}

function render() {
  if (state.event) setText($('#event-title'), pick(state.event.title));
  renderControl();
  renderSessions();
  renderCounts();
  renderAnnouncementList();
}

// ---- announcements --------------------------------------------------------------------

function composeText() {
  return { zh: $('#ann-zh').value.trim(), en: $('#ann-en').value.trim(), hu: $('#ann-hu').value.trim() };
}

function renderPreview() {
  const text = composeText();
  const shown = pick(text, previewLang);
  const fell = shown && !text[previewLang];
  for (const b of $$('#preview-langs button')) b.setAttribute('aria-pressed', String(b.dataset.lang === previewLang));
  const pinned = $('#ann-pinned').checked;
  $('#preview').replaceChildren(shown
    ? h('div', { class: pinned ? 'ann is-pinned' : 'ann', lang: previewLang === 'zh' ? 'zh-CN' : previewLang },
      h('p', { class: 'ann-meta' }, pinned ? h('span', { class: 'pin' }, t('live.pinned')) : null, t('console.justNow')),
      h('p', { class: 'ann-text' }, shown))
    : h('p', { class: 'muted' }, t('console.previewEmpty')),
  fell ? h('p', { class: 'preview-note' }, t('console.fallback')) : null);
  $('#compose-submit').disabled = busy || !(text.zh || text.en || text.hu);
}

function initComposer() {
  const box = $('#preview-langs');
  box.replaceChildren(...LANGS.map((l) => h('button', {
    type: 'button', class: 'lang-btn', dataset: { lang: l }, 'aria-pressed': String(l === previewLang),
    onclick: () => {
      previewLang = l;
      renderPreview();
    },
  }, l.toUpperCase())));
  for (const id of ['#ann-zh', '#ann-en', '#ann-hu', '#ann-pinned']) $(id).addEventListener('input', renderPreview);
  $('#compose').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const text = composeText();
    if (!(text.zh || text.en || text.hu)) {
      setText($('#compose-error'), t('console.announceEmpty'));
      return;
    }
    setText($('#compose-error'), '');
    await run(async () => {
      const a = await api('POST', `/api/v1/events/${encodeURIComponent(slug)}/announcements`, { body: { text, pinned: $('#ann-pinned').checked } });
      state.announcements.set(a.id, a);
      for (const id of ['#ann-zh', '#ann-en', '#ann-hu']) $(id).value = '';
      $('#ann-pinned').checked = false;
      toast(t('console.posted'), 'ok');
    });
    renderPreview();
  });
  renderPreview();
}

// ---- audit trail -------------------------------------------------------------------------

function auditLine(e) {
  const tz = (state.event && state.event.venue_tz) || 'Asia/Shanghai';
  const key = `audit.${e.action.replace(/\./g, '_')}`;
  const act = t(key) === key ? e.action : t(key);
  return h('li', { class: 'audit-row' },
    h('time', { datetime: e.at }, dateTime(e.at, tz)),
    h('span', { class: 'audit-who' }, e.actor || '—'),
    h('span', { class: 'audit-what' }, act, e.object_type ? h('span', { class: 'muted' }, ` · ${label('object.', e.object_type)} ${e.object_id || ''}`) : null));
}

function renderAudit() {
  $('#audit').replaceChildren(...(auditEntries.length ? auditEntries.map(auditLine) : [h('li', { class: 'muted' }, t('console.auditEmpty'))]));
  $('#audit-more').hidden = !auditNext;
}

async function loadAudit(more = false) {
  if (!slug) return;
  const q = new URLSearchParams({ limit: String(AUDIT_PAGE) });
  if (more && auditNext) q.set('before', String(auditNext));
  try {
    const out = await api('GET', `/api/v1/events/${encodeURIComponent(slug)}/audit?${q}`);
    const entries = out.entries || [];
    if (more) auditEntries = auditEntries.concat(entries);
    else auditEntries = entries;
    auditNext = out.next_before || 0;
    renderAudit();
  } catch (e) {
    if (!more && e instanceof ApiError && !e.offline) toast(`${t('console.auditFailed')} ${e.message}`, 'warn');
  }
}

/** scheduleAudit reloads the first page of the trail after changes,
 * once per burst. */
function scheduleAudit(delay = 1000) {
  clearTimeout(auditTimer);
  auditTimer = setTimeout(() => {
    if (auditEntries.length <= AUDIT_PAGE) loadAudit(false);
  }, delay);
}

// ---- status, shortcuts, events ---------------------------------------------------------------

function renderStatus(s) {
  const el = $('#conn');
  el.dataset.state = s.state;
  el.dataset.transport = s.transport;
  let key = 'conn.connecting';
  if (s.state === 'live') key = s.transport === 'sse' ? 'conn.liveSSE' : 'conn.live';
  if (s.state === 'reconnecting') key = 'conn.reconnecting';
  setText(el.querySelector('.conn-text'), t(key));
}

function typing(el) {
  return !!(el && el.closest && el.closest('input, textarea, select, [contenteditable]'));
}

function onKey(ev) {
  if (ev.ctrlKey || ev.metaKey || ev.altKey || ev.isComposing) return;
  if ($('#confirm').open || typing(ev.target)) return;
  const k = ev.key;
  if (k === 'n' || k === 'N') {
    ev.preventDefault();
    doNext();
  } else if (k === 's' || k === 'S') {
    ev.preventDefault();
    doSkip();
  } else if (k === '+' || k === '=') {
    ev.preventDefault();
    doDelay(5);
  } else if (k === '-' || k === '−') {
    ev.preventDefault();
    doDelay(-5);
  } else if (k === 'a' || k === 'A') {
    ev.preventDefault();
    $(`#ann-${currentLang()}`).focus();
  } else if (k === '?') {
    ev.preventDefault();
    $('#keys').focus();
  }
}

async function loadEvents() {
  try {
    const out = await api('GET', '/api/v1/events');
    events = out.events || [];
  } catch {
    events = [];
  }
  const picker = $('#event-picker');
  const initial = picker.dataset.initial || store.get(EVENT_KEY) || '';
  slug = events.some((e) => e.slug === initial) ? initial : (events[0] ? events[0].slug : '');
  const fill = () => picker.replaceChildren(...events.map((e) => h('option', { value: e.slug, selected: e.slug === slug }, pick(e.title))));
  fill();
  onLangChange(fill);
  picker.addEventListener('change', () => {
    store.set(EVENT_KEY, picker.value);
    const u = new URL(location.href);
    u.searchParams.set('event', picker.value);
    location.assign(u.pathname + u.search);
  });
}

async function main() {
  await initLang();
  previewLang = currentLang();
  langSwitch($('#lang-switch'));
  onLangChange(() => {
    render();
    renderAudit();
    renderPreview();
  });
  $('#logout').addEventListener('click', () => logout());
  $('#btn-next').addEventListener('click', doNext);
  $('#btn-skip').addEventListener('click', doSkip);
  for (const b of $$('[data-delay]')) b.addEventListener('click', () => doDelay(Number(b.dataset.delay)));
  $('#audit-more').addEventListener('click', () => loadAudit(true));
  document.addEventListener('keydown', onKey);
  initComposer();
  await loadEvents();
  const setup = initSetup({ confirmAction, toast, slug: () => slug });
  takeOverImports(document.body, () => slug); // CSV imports preview first
  if (!slug) {
    toast(t('console.noEvents'), 'warn');
    await setup;
    document.body.dataset.ready = 'true';
    return;
  }
  store.set(EVENT_KEY, slug);
  state = new LiveState();
  renderAnnouncementList = mountAnnouncements($('#ann-list'), { state, slug: () => slug, toast, confirmAction });
  client = new LiveClient({
    slug,
    state,
    lang: currentLang(),
    onChange: (types) => {
      render();
      for (const ty of types) {
        if (ty !== 'attendance' && ty !== 'presence' && ty !== 'catalogue') {
          scheduleAudit();
          break;
        }
      }
    },
    onStatus: renderStatus,
  });
  client.start();
  loadAudit(false);
  await initAccounts({
    confirmAction,
    toast,
    slug: () => slug,
    tz: () => (state.event && state.event.venue_tz) || 'Asia/Shanghai',
  });
  await setup;
  document.body.dataset.ready = 'true';
}

main();
