// Technology transfer in the organizer console (its own card, #transfer):
// the question moderation queue (approve, hide, mark answered — the moves
// docs/transfer.md allows), whether anonymous viewers may ask and vote,
// the interests as they come, the teams and their personal links, the
// meeting sessions (define, list), the scheduler and the report with its
// CSV exports. It keeps a live connection of its own to the event and
// reads its lists again when the transfer bell or a question envelope
// says something changed.

import { $, h, keyed } from './dom.js';
import { currentLang, initLang, onLangChange, pick, t } from './i18n.js';
import { api } from './api.js';
import { LiveClient } from './live-client.js';
import { LiveState } from './live-state.js';

/** Moves per question state: the actions the API accepts. */
const MOVES = {
  pending: ['approve', 'hide', 'answer'],
  approved: ['hide', 'answer'],
  answered: ['hide'],
  hidden: ['approve'],
};
const ORDER = { pending: 0, approved: 1, answered: 2, hidden: 3 };

const x = { slug: '', questions: [], interests: [], teams: [], sessions: [], achievements: new Map(), report: null, settings: {} };

/** send calls the API with a JSON body (or none). */
const send = (method, path, body) => api(method, path, { body });
const ev = (rest) => `/api/v1/events/${encodeURIComponent(x.slug)}${rest}`;
const title = (id) => (x.achievements.has(id) ? pick(x.achievements.get(id).title) : `#${id}`);

function say(text, bad = false) {
  const el = $('#xc-notice');
  el.hidden = false;
  el.className = bad ? 'notice notice-bad' : 'notice notice-ok';
  el.textContent = text;
}

/** act runs an API call and reloads; errors go to the card's notice. */
async function act(fn, done) {
  try {
    const out = await fn();
    if (done) say(done(out));
    await load();
  } catch (e) {
    say(e.message, true);
  }
}

// ---- loading ---------------------------------------------------------------

async function load() {
  const [qs, is, teams, sessions, report, settings] = await Promise.all([
    api('GET', ev('/questions')), api('GET', ev('/interests')), api('GET', ev('/teams')),
    api('GET', ev('/meeting-sessions')), api('GET', ev('/transfer/report')), api('GET', ev('/transfer/settings'))]);
  x.questions = qs.questions || [];
  x.interests = is.interests || [];
  x.teams = teams.teams || [];
  x.sessions = sessions.meeting_sessions || [];
  x.report = report;
  x.settings = settings;
  render();
}

let reloadTimer = 0;
function reloadSoon() {
  clearTimeout(reloadTimer);
  reloadTimer = setTimeout(() => load().catch((e) => say(e.message, true)), 150);
}

// ---- drawing ---------------------------------------------------------------

function renderQueue() {
  const list = [...x.questions].sort((a, b) => (ORDER[a.state] - ORDER[b.state]) || (b.votes - a.votes) || (a.id - b.id));
  keyed($('#xc-queue'), `${currentLang()}#${JSON.stringify(list.map((q) => [q.id, q.state, q.votes]))}`, () => (list.length
    ? list.map((q) => h('li', { class: `q is-${q.state}`, dataset: { question: q.id, state: q.state } },
      h('span', { class: 'chip' }, t(`transfer.state.${q.state}`)),
      h('span', { class: 'q-text', lang: q.lang || null }, q.text),
      h('span', { class: 'muted' }, `${title(q.achievement_id)} · ${q.asker ? q.asker.name : t('transfer.anonymous')} · ${t('transfer.votes', { n: q.votes })}`),
      h('span', { class: 'xactions' }, MOVES[q.state].map((a) => h('button', { class: `btn btn-small${a === 'approve' ? ' btn-primary' : ''}`, type: 'button',
        dataset: { act: a }, onclick: () => act(() => send('POST', `/api/v1/questions/${q.id}/${a}`)) }, t(`transfer.mod.${a}`))))))
    : [h('li', { class: 'muted' }, t('transfer.none'))]));
  $('#xc-anon-q').checked = !!x.settings.anonymous_questions;
  $('#xc-anon-v').checked = !!x.settings.anonymous_votes;
}

function renderInterests() {
  keyed($('#xc-interests'), `${currentLang()}#${JSON.stringify(x.interests.map((i) => [i.id, i.purpose, i.consent]))}`, () => (x.interests.length
    ? x.interests.map((i) => h('li', { dataset: { interest: i.id, achievement: i.achievement_id } },
      h('b', null, title(i.achievement_id)), ' · ', t(`transfer.purpose.${i.purpose}`), ' · ',
      i.contact && i.contact.name ? [i.contact.name, i.contact.organization ? ` (${i.contact.organization})` : ''] : '',
      i.note ? h('span', { class: 'xnote' }, ` — ${i.note}`) : null,
      h('span', { class: 'muted' }, ` · ${t(i.consent ? 'transfer.shared' : 'transfer.notShared')}`)))
    : [h('li', { class: 'muted' }, t('transfer.none'))]));
}

function renderTeams() {
  const teamed = new Set(x.teams.map((tm) => tm.achievement_id));
  keyed($('#xc-teams'), `${currentLang()}#${JSON.stringify(x.teams.map((tm) => [tm.id, tm.name, tm.link_active]))}`, () => (x.teams.length
    ? x.teams.map((tm) => h('li', { dataset: { team: tm.id, achievement: tm.achievement_id } },
      h('b', null, tm.name || title(tm.achievement_id)), h('span', { class: 'muted' }, ` ${title(tm.achievement_id)}`),
      h('span', { class: 'chip' }, t(tm.link_active ? 'transfer.linkActive' : 'transfer.linkNone')),
      h('button', { class: 'btn btn-small', type: 'button', dataset: { act: 'link' }, onclick: () => act(() => send('POST', `/api/v1/teams/${tm.id}/link`), showLink) }, t('transfer.newLink')),
      tm.link_active ? h('button', { class: 'btn btn-small', type: 'button', dataset: { act: 'revoke' }, onclick: () => act(() => send('DELETE', `/api/v1/teams/${tm.id}/link`), () => t('transfer.linkRevoked')) }, t('transfer.revokeLink')) : null))
    : [h('li', { class: 'muted' }, t('transfer.none'))]));
  const sel = $('#xc-team-achievement');
  keyed(sel, `${currentLang()}#${[...teamed].join(',')}#${x.achievements.size}`, () =>
    [...x.achievements.values()].filter((a) => !teamed.has(a.id)).map((a) => h('option', { value: a.id }, pick(a.title))));
}

/** showLink shows a team's new personal link once (only its hash is kept). */
function showLink(out) {
  const url = `${location.origin}${out.path || `/t/${out.token}`}`;
  const box = $('#xc-link');
  box.hidden = false;
  box.replaceChildren(h('span', null, t('transfer.linkOnce')), ' ', h('a', { href: url, id: 'xc-link-url' }, url));
  return t('transfer.linkMade');
}

function fmt(at) {
  return new Date(at).toLocaleString(currentLang() === 'zh' ? 'zh-CN' : currentLang(), { dateStyle: 'medium', timeStyle: 'short' });
}

function renderSessions() {
  keyed($('#xc-sessions'), `${currentLang()}#${JSON.stringify(x.sessions)}`, () => (x.sessions.length
    ? x.sessions.map((s) => h('li', { dataset: { session: s.id } },
      h('b', null, pick(s.title) || t('transfer.meetingSession')), ` ${fmt(s.starts_at)} – ${fmt(s.ends_at)} · `,
      t('transfer.sessionShape', { slot: s.slot_minutes, tables: s.tables, rooms: (s.rooms || []).length }), ' ',
      deleteSessionButton(s)))
    : [h('li', { class: 'muted' }, t('transfer.none'))]));
}

/**
 * deleteSessionButton deletes a meeting session in two clicks. When the
 * API refuses because meetings are scheduled in it, the button offers to
 * take them out (they return to the scheduler) with a third click.
 */
function deleteSessionButton(s) {
  let step = 'ask'; // ask → sure → (unschedule)
  const b = h('button', { class: 'btn btn-small btn-danger', type: 'button', dataset: { act: 'delete-session' } }, t('transfer.sessionDelete'));
  b.addEventListener('click', async () => {
    if (step === 'ask') {
      step = 'sure';
      b.textContent = t('transfer.sessionDeleteSure');
      return;
    }
    const path = `/api/v1/meeting-sessions/${s.id}${step === 'unschedule' ? '?unschedule=1' : ''}`;
    try {
      const out = await send('DELETE', path);
      say(t('transfer.sessionDeleted', { n: (out.unscheduled || []).length }));
      await load();
    } catch (e) {
      const ids = (e.details && e.details.meeting_ids) || [];
      if (e.code === 'conflict' && step === 'sure' && ids.length && !e.details.held) {
        step = 'unschedule';
        b.textContent = t('transfer.sessionDeleteUnschedule', { n: ids.length });
        return;
      }
      say(e.message, true);
    }
  });
  return b;
}

function renderReport() {
  const rows = (x.report && x.report.achievements) || [];
  keyed($('#xc-report'), `${currentLang()}#${JSON.stringify(rows)}`, () => h('table', { class: 'sessions' },
    h('thead', null, h('tr', null, ['transfer.catalogue', 'transfer.interests', 'transfer.requests', 'transfer.rep.scheduled', 'transfer.state.held', 'transfer.rep.questions']
      .map((k) => h('th', { scope: 'col' }, t(k))))),
    h('tbody', null, rows.map((r) => h('tr', { dataset: { achievement: r.achievement_id } },
      h('td', null, pick(r.title)), h('td', null, `${r.interest_total} (${r.interest_consented})`),
      h('td', null, `${r.meetings_requested} / ${r.meetings_accepted}`), h('td', { class: 'rep-scheduled' }, String(r.meetings_scheduled)),
      h('td', { class: 'rep-held' }, String(r.meetings_held)), h('td', null, `${r.questions} / ${r.questions_shown}`))))));
  $('#xc-csv').href = ev('/transfer/report.csv');
  $('#xc-leads').href = ev('/transfer/leads.csv');
}

function render() {
  renderQueue();
  renderInterests();
  renderTeams();
  renderSessions();
  renderReport();
}

// ---- forms -----------------------------------------------------------------

function wire() {
  const settings = () => act(() => send('PUT', ev('/transfer/settings'), { anonymous_questions: $('#xc-anon-q').checked, anonymous_votes: $('#xc-anon-v').checked }));
  $('#xc-anon-q').addEventListener('change', settings);
  $('#xc-anon-v').addEventListener('change', settings);
  $('#xc-team-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const achievement = Number($('#xc-team-achievement').value);
    if (!achievement) return;
    const name = $('#xc-team-name').value.trim();
    act(() => send('POST', ev('/teams'), name ? { achievement_id: achievement, name } : { achievement_id: achievement }), showLink);
  });
  $('#xc-session-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const rooms = $('#xc-session-rooms').value.split('\n').map((l) => l.trim()).filter(Boolean).map((l) => {
      const [name, ...link] = l.split(/\s+/);
      return { name, link: link.join(' ') };
    });
    act(() => send('POST', ev('/meeting-sessions'), {
      title: { en: $('#xc-session-title').value.trim() },
      starts_at: new Date($('#xc-session-start').value).toISOString(),
      ends_at: new Date($('#xc-session-end').value).toISOString(),
      slot_minutes: Number($('#xc-session-slot').value),
      tables: Number($('#xc-session-tables').value),
      rooms,
    }), () => t('transfer.sessionMade'));
  });
  $('#xc-schedule').addEventListener('click', () => act(
    () => send('POST', ev('/meetings/schedule'), { reschedule: $('#xc-reschedule').checked }),
    (r) => t('transfer.scheduled', { placed: r.placed, scheduled: r.scheduled, unplaced: (r.unplaced || []).length })));
}

// ---- start -----------------------------------------------------------------

/** eventSlug waits for the console to pick its event. */
function eventSlug() {
  const picker = $('#event-picker');
  if (picker.value) return Promise.resolve(picker.value);
  return new Promise((resolve) => {
    const mo = new MutationObserver(() => {
      if (!picker.value) return;
      mo.disconnect();
      resolve(picker.value);
    });
    mo.observe(picker, { childList: true });
  });
}

async function main() {
  const card = $('#transfer');
  if (!card) return;
  await initLang();
  x.slug = await eventSlug();
  card.hidden = false;
  wire();
  const cat = await api('GET', ev('/achievements'));
  x.achievements = new Map((cat.achievements || []).map((a) => [a.id, a]));
  await load();
  onLangChange(render);
  const client = new LiveClient({
    slug: x.slug,
    state: new LiveState(),
    bell: true, // the moderation queue hears of new questions by the transfer bell
    onEnvelope: (env) => {
      if (env.type === 'transfer' || env.type === 'interest' || env.type.startsWith('question.')) reloadSoon();
    },
  });
  client.start();
  card.dataset.ready = 'true';
}

main().catch((e) => say(e.message, true));
