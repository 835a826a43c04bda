// The embeddable schedule /e/{slug}/embed, shown in a frame on other
// sites (HYBRIDCON_EMBED_ORIGINS): every stage's now / next and the agenda
// by day, kept current through the same live connection as the live page.
// Links open the conference's own pages in a new tab.

import { $, h, keyed } from './dom.js';
import { currentLang, initLang, pick } from './i18n.js';
import { LiveClient } from './live-client.js';
import { LiveState } from './live-state.js';
import { agendaDays, agendaRows, currentDay, dayTabs, stageCard } from './programme.js';
import { ownZone, viewerZones } from './time.js';

const body = document.body;
const slug = body.dataset.slug;
const state = new LiveState();
let chosenDay = '';

function render() {
  if (!state.ready) return;
  const zs = viewerZones(state.event).slice(0, 3);
  const busy = state.stages().filter((st) => st.session);
  const minute = Math.floor(Date.now() / 60000);
  const sig = [currentLang(), minute, state.catalogue, JSON.stringify(Array.from(state.stageDefs.values())),
    state.sessionList().map((s) => `${s.id}:${s.state}:${s.stage}:${s.expected_start}:${s.version}`).join(',')].join('#');
  keyed($('#stages'), sig, () => busy.map((st) => {
    const card = stageCard(st, { slug, zones: zs, region: '', named: true, alt: '' });
    for (const a of card.querySelectorAll('a')) a.target = '_blank';
    return card;
  }));
  const tz = ownZone();
  const days = agendaDays(state.sessionList(), tz);
  const day = days.some((d) => d.key === chosenDay) ? chosenDay : currentDay(days, tz);
  const names = {};
  for (const def of state.stageDefs.values()) names[def.slug] = pick(def.name) || def.slug;
  keyed(document.querySelector('.day-tabs'), `${sig}|${day}`, () => dayTabs(days, day, (k) => {
    chosenDay = k;
    render();
  }));
  const shown = (days.find((d) => d.key === day) || { sessions: [] }).sessions;
  keyed($('#agenda'), `${sig}|${day}`, () => h('ol', { class: 'agenda', dataset: { day } },
    agendaRows(shown, { zones: zs.slice(0, 2), stageNames: state.stageDefs.size > 1 ? names : null })));
}

async function main() {
  await initLang();
  const client = new LiveClient({ slug, state, onChange: render });
  client.start();
  setInterval(render, 30000);
  body.dataset.ready = 'true';
}

main();
