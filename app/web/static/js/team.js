// A team's page (/t/{token}): when the team presents, the meeting requests
// it accepts or declines with one click, its meetings (in the reader's
// time zone, with a calendar file) with a box to scan a guest's ticket at
// the table, and the interest in its achievement — live: a "transfer"
// bell on the event's live connection makes it read its lists again.

import { $, h } from './dom.js';
import { currentLang, initLang, langSwitch, onLangChange, pick, t } from './i18n.js';
import { api } from './api.js';
import { contactLine, credential, ev, list, listen, notify, place, purposeName, stateChip, tapi, when, zonesOf } from './transfer.js';

const st = { event: null, view: null, interests: [], requests: [], meetings: [] };

function renderTeam() {
  if (!st.view) return;
  $('#team-achievement').textContent = pick(st.view.achievement.title);
  list($('#team-presentations'), st.view.presentations, (s) => h('li', null,
    h('span', { class: 'muted' }, t('transfer.presents')), when(s.expected_start, s.expected_end, zonesOf(st.event))), 'transfer.notPresenting');
}

async function decide(id, accept) {
  try {
    await tapi('POST', `/api/v1/meeting-requests/${id}/${accept ? 'accept' : 'decline'}`);
    notify(t(accept ? 'transfer.accepted' : 'transfer.declined'));
  } catch (x) {
    notify(x.message, true);
  }
  await load();
}

async function held(id) {
  try {
    await tapi('POST', `/api/v1/meetings/${id}/held`);
  } catch (x) {
    notify(x.message, true);
  }
  await load();
}

function renderLists() {
  const zones = zonesOf(st.event);
  list($('#requests'), st.requests, (r) => h('li', { dataset: { request: r.id, state: r.state } },
    contactLine(r.contact), h('span', { class: 'muted' }, t(`transfer.mode.${r.mode}`)), r.note ? h('span', { class: 'xnote' }, r.note) : null,
    stateChip(r.state),
    r.state === 'requested' ? h('span', { class: 'xactions' },
      h('button', { class: 'btn btn-small btn-primary', type: 'button', dataset: { act: 'accept' }, onclick: () => decide(r.id, true) }, t('transfer.accept')),
      h('button', { class: 'btn btn-small', type: 'button', dataset: { act: 'decline' }, onclick: () => decide(r.id, false) }, t('transfer.decline'))) : null),
  'transfer.none');
  list($('#meetings'), st.meetings, (m) => h('li', { dataset: { meeting: m.id, table: m.table || '', room: m.room || '', state: m.state } },
    when(m.starts_at, m.ends_at, zones), h('b', { class: 'place' }, place(m)), contactLine(m.contact),
    m.link ? h('a', { href: m.link, rel: 'noreferrer noopener', target: '_blank' }, t('transfer.join')) : null,
    stateChip(m.state),
    m.state === 'scheduled' ? h('button', { class: 'btn btn-small', type: 'button', dataset: { act: 'held' }, onclick: () => held(m.id) }, t('transfer.markHeld')) : null),
  'transfer.noMeetings');
  list($('#interests'), st.interests, (i) => h('li', { dataset: { interest: i.id } },
    contactLine(i.contact), h('span', { class: 'chip' }, purposeName(i.purpose)), i.note ? h('span', { class: 'xnote' }, i.note) : null), 'transfer.none');
  $('#ics-link').href = `/t/${encodeURIComponent(credential())}/meetings.ics?lang=${currentLang()}`;
}

async function load() {
  const [view, interests, requests, meetings] = await Promise.all([tapi('GET', ev('/my-team')), tapi('GET', ev('/interests')),
    tapi('GET', ev('/meeting-requests')), tapi('GET', ev('/meetings'))]);
  Object.assign(st, { view, interests: interests.interests, requests: requests.meeting_requests, meetings: meetings.meetings });
  renderTeam();
  renderLists();
}

function wireScan() {
  $('#scan-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const input = $('#scan-ticket');
    const box = $('#scan-result');
    try {
      const ans = await tapi('POST', ev('/meeting-scans'), { ticket: input.value });
      box.dataset.result = ans.result;
      box.className = ans.result === 'rejected' ? 'notice notice-bad' : 'notice notice-ok';
      const who = ans.attendee ? `${ans.attendee.name} · ` : '';
      box.textContent = who + t(ans.result === 'rejected' ? `transfer.scan.${ans.reason}` : `transfer.scan.${ans.result}`);
    } catch (x) {
      box.dataset.result = 'error';
      box.className = 'notice notice-bad';
      box.textContent = x.message;
    }
    box.hidden = false;
    input.value = '';
    input.focus();
    await load();
  });
}

async function main() {
  await initLang();
  langSwitch($('#lang-switch'));
  wireScan();
  try {
    st.event = await api('GET', ev(''));
    await load();
  } catch (x) {
    notify(x.message, true);
  }
  onLangChange(() => {
    renderTeam();
    renderLists();
  });
  listen((env) => {
    if (env.type === 'transfer' || env.type === 'interest' || env.type === 'schedule.shifted') load().catch((x) => notify(x.message, true));
  });
  document.body.dataset.ready = 'true';
}

main();
