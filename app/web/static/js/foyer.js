// The foyer screen /e/{slug}/foyer: for the screens in the lobby, what is
// on every stage now and next, and the whole day across the stages side
// by side with the running sessions marked. It moves on by itself: the
// day shown is today's (in the venue's zone) until its last session is
// over, then the next day's, and each stage's column scrolls to keep what
// is on now in view.

import { $, h, keyed, setText } from './dom.js';
import { currentLang, initLang, onLangChange, pick, t } from './i18n.js';
import { LiveClient, showStatus } from './live-client.js';
import { LiveState } from './live-state.js';
import { agendaDays, stageCard, stageName } from './programme.js';
import { itemLine, kindName, slotTitle, stateChip, zoneTimes } from './render.js';
import { dayKey, hm, measureClockOffset, offsetLabel, serverNow, viewerZones, zoneLabel } from './time.js';

const body = document.body;
const slug = body.dataset.slug;
const state = new LiveState();

function zones() {
  const n = (state.event && state.event.viewer_tzs && state.event.viewer_tzs.length) || 2;
  return viewerZones(state.event).slice(0, n).map((z) => ({ tz: z.tz, own: false }));
}

function venueZone() {
  return (state.event && state.event.venue_tz) || 'Asia/Shanghai';
}

/** shownDay is the day on screen: today's when something on it is not
 * over, else the next day with anything not over, else the last day. */
function shownDay(days) {
  const today = dayKey(serverNow(), venueZone());
  const open = (d) => d.sessions.some((s) => s.state !== 'ended' && s.state !== 'cancelled');
  const todays = days.find((d) => d.key === today);
  if (todays && open(todays)) return todays;
  return days.find((d) => d.key >= today && open(d)) || todays || days[days.length - 1] || null;
}

function renderClocks() {
  const now = serverNow();
  const list = zones();
  document.querySelectorAll('#clocks .clock').forEach((el, i) => {
    const z = list[i];
    el.hidden = !z;
    if (!z) return;
    setText(el.querySelector('.clock-label'), zoneLabel(z.tz));
    setText(el.querySelector('.clock-time'), hm(now, z.tz));
    setText(el.querySelector('.clock-off'), offsetLabel(z.tz, now));
  });
}

function render() {
  if (!state.ready || !state.event) return;
  setText($('#event-title'), pick(state.event.title));
  const zs = zones();
  const stages = state.stages();
  const minute = Math.floor(serverNow().getTime() / 60000);
  const sig = [currentLang(), minute, state.catalogue, JSON.stringify(Array.from(state.stageDefs.values())),
    state.sessionList().map((s) => `${s.id}:${s.state}:${s.stage}:${s.expected_start}:${s.expected_end}:${s.version}`).join(','),
    stages.map((st) => `${st.current ? st.current.id : 0}:${st.next ? st.next.id : 0}`).join(',')].join('#');
  keyed($('#stages'), sig, () => stages.map((st) => stageCard(st, { slug, zones: zs, region: '', named: true, alt: '' })));
  const days = agendaDays(state.sessionList(), venueZone());
  const day = shownDay(days);
  setText($('#foyer-day'), day ? day.label : '');
  const changed = keyed($('#foyer-grid'), sig, () => stages.map((st) => {
    const sessions = day ? day.sessions.filter((s) => s.stage === st.stage) : [];
    return h('section', { class: 'foyer-col', dataset: { stage: st.stage } },
      h('h3', { class: 'foyer-col-head' }, stageName(st)),
      h('ol', { class: 'foyer-list' }, sessions.length ? sessions.map((s) => {
        const current = st.session && st.session.id === s.id && (s.state === 'live' || s.state === 'paused');
        return h('li', { class: `foyer-row is-${s.state}${current ? ' is-current' : ''}`, 'aria-current': current ? 'true' : null, dataset: { session: s.id } },
          zoneTimes(s.expected_start, s.planned_start, zs, { cls: 'zones-compact' }),
          h('div', { class: 'foyer-body' },
            h('p', { class: 'foyer-top' }, h('span', { class: 'agenda-kind' }, kindName(s.kind)), stateChip(s.state),
              s.fixed_start ? h('span', { class: 'badge badge-fixed' }, t('live.fixedStart')) : null),
            h('p', { class: 'foyer-title' }, pick(s.title)),
            current && st.current ? h('p', { class: 'foyer-item' }, h('span', { class: 'onair', 'aria-hidden': 'true' }),
              `${slotTitle(st.current)}${itemLine(st.current) ? ` · ${itemLine(st.current)}` : ''}`) : null));
      }) : [h('li', { class: 'foyer-row muted' }, t('live.nothingNext'))]));
  }));
  if (changed) {
    // Keep what is on now (else the next) in view in every column.
    for (const col of document.querySelectorAll('.foyer-list')) {
      const row = col.querySelector('.is-current') || col.querySelector('.is-scheduled');
      if (row) col.scrollTop = Math.max(0, row.offsetTop - col.offsetTop - 8);
    }
  }
}

async function main() {
  await initLang();
  onLangChange(render);
  measureClockOffset().catch(() => 0);
  const client = new LiveClient({ slug, state, onChange: render, onStatus: (st) => showStatus($('#conn'), st, t) });
  client.start();
  renderClocks();
  setInterval(renderClocks, 1000);
  setInterval(render, 30000); // the day and "starting soon" move on with the clock
  body.dataset.ready = 'true';
}

main();
