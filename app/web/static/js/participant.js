// A participant's own page (/p/{ticket}): what is on stage now, the
// catalogue to mark interest in and to ask a team for a meeting, their
// interests, requests, meetings (in their own time zone, with a calendar
// file) and questions, the agenda, and everything they gave — to see and
// to delete. Their ticket, in the page's path, is their credential.

import { $, h } from './dom.js';
import { currentLang, initLang, langSwitch, onLangChange, pick, t } from './i18n.js';
import { api } from './api.js';
import { credential, ev, list, listen, notify, place, purposeName, stateChip, tapi, when, zonesOf } from './transfer.js';

const PURPOSES = ['licensing', 'investment', 'joint_research', 'pilot_customer'];
const LIVE_TYPES = new Set(['showcase.updated', 'session.updated', 'schedule.shifted', 'stages.updated', 'event.updated']);

const st = {
  event: null, achievements: new Map(), sessions: [], counts: {}, onStage: [],
  interests: [], requests: [], meetings: [], questions: [],
};

const title = (id) => (st.achievements.has(id) ? pick(st.achievements.get(id).title) : `#${id}`);

/** fromSnapshot reads what is on stage and the interest counts. */
function fromSnapshot(data) {
  st.onStage = (data.stages || []).filter((s) => s.current && s.current.state === 'presenting')
    .map((s) => ({ slot: s.current.id, achievement: s.current.achievement_id }));
  if (data.transfer) st.counts = data.transfer.interest || {};
  renderNow();
  renderCatalogue();
}

function actions(achievementID, slotID) {
  if (!achievementID) return null;
  return h('span', { class: 'xactions' },
    h('button', { class: 'btn btn-small btn-primary', type: 'button', dataset: { act: 'interest' }, onclick: () => openInterest(achievementID, slotID) }, t('transfer.interested')),
    h('button', { class: 'btn btn-small', type: 'button', dataset: { act: 'meet' }, onclick: () => openMeet(achievementID) }, t('transfer.requestMeeting')),
    slotID ? h('button', { class: 'btn btn-small', type: 'button', dataset: { act: 'ask' }, onclick: () => openAsk(achievementID, slotID) }, t('transfer.ask')) : null);
}

function renderNow() {
  list($('#now'), st.onStage, (s) => h('li', { dataset: { slot: s.slot, achievement: s.achievement } },
    h('b', { class: 'xtitle' }, s.achievement ? title(s.achievement) : t('transfer.freeItem')), actions(s.achievement, s.slot)), 'transfer.nothingOnStage');
}

function renderCatalogue() {
  list($('#catalogue'), [...st.achievements.values()], (a) => h('li', { dataset: { achievement: a.id } },
    h('b', { class: 'xtitle' }, pick(a.title)),
    h('span', { class: 'muted' }, [a.institution, a.presenter].filter(Boolean).join(' · ')),
    h('span', { class: 'chip count' }, t('transfer.interestCount', { n: st.counts[a.id] || 0 })),
    actions(a.id, 0)), 'transfer.none');
}

function renderMine() {
  const zones = zonesOf(st.event);
  list($('#my-interests'), st.interests, (i) => h('li', { dataset: { interest: i.id, achievement: i.achievement_id } },
    h('b', { class: 'xtitle' }, title(i.achievement_id)), h('span', { class: 'chip' }, purposeName(i.purpose)),
    i.note ? h('span', { class: 'xnote' }, i.note) : null,
    h('span', { class: 'muted' }, t(i.consent ? 'transfer.shared' : 'transfer.notShared'))), 'transfer.none');
  list($('#my-requests'), st.requests, (r) => h('li', { dataset: { request: r.id, achievement: r.achievement_id } },
    h('b', { class: 'xtitle' }, title(r.achievement_id)), h('span', { class: 'muted' }, t(`transfer.mode.${r.mode}`)), stateChip(r.state)), 'transfer.none');
  list($('#my-meetings'), st.meetings, (m) => h('li', { dataset: { meeting: m.id, table: m.table || '', room: m.room || '' } },
    when(m.starts_at, m.ends_at, zones), h('b', { class: 'place' }, place(m)),
    h('span', { class: 'xtitle' }, `${title(m.achievement_id)}${m.team_name ? ` · ${m.team_name}` : ''}`),
    m.link ? h('a', { href: m.link, rel: 'noreferrer noopener', target: '_blank' }, t('transfer.join')) : null,
    stateChip(m.state)), 'transfer.noMeetings');
  list($('#my-questions'), st.questions, (q) => h('li', { dataset: { question: q.id } },
    h('span', { class: 'xnote' }, q.text), stateChip(q.state), h('span', { class: 'muted' }, t('transfer.votes', { n: q.votes }))), 'transfer.none');
  // The live page takes the ticket from its fragment (never sent to a server).
  $('#live-link').href = `/e/${encodeURIComponent(document.body.dataset.slug)}#ticket=${encodeURIComponent(credential())}`;
  $('#ics-link').href = `/p/${encodeURIComponent(credential())}/meetings.ics?lang=${currentLang()}`;
}

function renderAgenda() {
  const zones = zonesOf(st.event);
  list($('#agenda'), st.sessions, (s) => h('li', { dataset: { session: s.id } },
    when(s.expected_start, s.expected_end, zones), h('b', { class: 'xtitle' }, pick(s.title))), 'transfer.none');
}

function renderAll() {
  renderNow();
  renderCatalogue();
  renderMine();
  renderAgenda();
}

async function loadMine() {
  const data = await tapi('GET', ev('/my-data'));
  Object.assign(st, { interests: data.interests, requests: data.meeting_requests, meetings: data.meetings, questions: data.questions });
  renderMine();
}

/** dialogForm wires a dialog's form: send(form) runs on OK; an error
 * keeps the dialog open and shows its message. */
function dialogForm(dialog, send) {
  const form = $('form', dialog);
  const err = $('.form-error', form);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (e.submitter && e.submitter.value === 'cancel') {
      dialog.close();
      return;
    }
    err.textContent = '';
    try {
      await send();
      dialog.close();
      await loadMine();
    } catch (x) {
      err.textContent = x.message;
    }
  });
}

let target = { achievement: 0, slot: 0 };

function openInterest(achievement, slot) {
  target = { achievement, slot };
  $('#interest-what').textContent = title(achievement);
  const mine = st.interests.find((i) => i.achievement_id === achievement);
  $('#interest-purpose').replaceChildren(...PURPOSES.map((p) => h('option', { value: p, selected: mine && mine.purpose === p }, purposeName(p))));
  $('#interest-note').value = mine ? mine.note : '';
  $('#interest-consent').checked = mine ? mine.consent : false;
  $('.form-error', $('#interest-dialog')).textContent = '';
  $('#interest-dialog').showModal();
}

function openMeet(achievement) {
  target = { achievement, slot: 0 };
  $('#meet-what').textContent = title(achievement);
  $('.form-error', $('#meet-dialog')).textContent = '';
  $('#meet-dialog').showModal();
}

function openAsk(achievement, slot) {
  target = { achievement, slot };
  $('#ask-what').textContent = title(achievement);
  $('#ask-text').value = '';
  $('.form-error', $('#ask-dialog')).textContent = '';
  $('#ask-dialog').showModal();
}

function wire() {
  dialogForm($('#interest-dialog'), async () => {
    await tapi('POST', ev('/interests'), { achievement_id: target.achievement, slot_id: target.slot, purpose: $('#interest-purpose').value,
      note: $('#interest-note').value, consent: $('#interest-consent').checked });
    notify(t('transfer.interestSent'));
  });
  dialogForm($('#meet-dialog'), async () => {
    await tapi('POST', ev('/meeting-requests'), { achievement_id: target.achievement, mode: $('#meet-mode').value, note: $('#meet-note').value });
    notify(t('transfer.requestSent'));
  });
  dialogForm($('#ask-dialog'), async () => {
    await tapi('POST', ev('/questions'), { slot_id: target.slot, text: $('#ask-text').value, lang: currentLang() });
    notify(t('transfer.questionSent'));
  });
  $('#my-data-show').addEventListener('click', async () => {
    const out = $('#my-data-out');
    out.textContent = JSON.stringify(await tapi('GET', ev('/my-data')), null, 2);
    out.hidden = false;
  });
  $('#my-data-delete').addEventListener('click', () => $('#delete-dialog').showModal());
  $('#delete-dialog').addEventListener('close', async () => {
    if ($('#delete-dialog').returnValue !== 'ok') return;
    try {
      const del = await tapi('DELETE', ev('/my-data'));
      notify(t('transfer.deleted', { n: del.interests + del.meeting_requests + del.questions + del.votes }));
      $('#my-data-out').hidden = true;
      await loadMine();
    } catch (x) {
      notify(x.message, true);
    }
  });
}

async function onMessage(env) {
  if (env.type === 'snapshot') fromSnapshot(env.data);
  else if (env.type === 'interest') {
    st.counts = env.data.counts || {};
    renderCatalogue();
  } else if (env.type === 'transfer' || env.type.startsWith('question.')) await loadMine();
  else if (LIVE_TYPES.has(env.type)) {
    const snap = await api('GET', ev('/live'));
    fromSnapshot(snap.data);
    st.sessions = (await api('GET', ev('/sessions'))).sessions;
    renderAgenda();
  }
}

async function main() {
  await initLang();
  langSwitch($('#lang-switch'));
  wire();
  try {
    const [event, cat, sessions] = await Promise.all([api('GET', ev('')), api('GET', ev('/achievements')), api('GET', ev('/sessions'))]);
    st.event = event;
    st.achievements = new Map(cat.achievements.map((a) => [a.id, a]));
    st.sessions = sessions.sessions;
    await loadMine();
  } catch (x) {
    notify(x.message, true);
  }
  renderAll();
  onLangChange(renderAll);
  listen((env) => onMessage(env).catch((x) => notify(x.message, true)));
  document.body.dataset.ready = 'true';
}

main();
