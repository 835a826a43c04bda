// The events list page (/): every event with its dates in Beijing and
// Budapest time, linking to its live page.

import { $, h } from './dom.js';
import { initLang, langSwitch, onLangChange, pick, t } from './i18n.js';
import { api } from './api.js';
import { dayLabel, hm, viewerZones, zoneLabel } from './time.js';

let events = null;
let failed = false;

function render() {
  const box = $('#events');
  box.setAttribute('aria-busy', 'false');
  if (failed) {
    box.replaceChildren(h('p', { class: 'notice notice-bad', role: 'alert' }, t('events.failed')));
    return;
  }
  if (!events) return;
  if (!events.length) {
    box.replaceChildren(h('p', { class: 'muted' }, t('events.none')));
    return;
  }
  box.replaceChildren(...events.map((ev) => {
    const zones = viewerZones(ev).filter((z) => !z.own || viewerZones(ev).length <= 2);
    return h('article', { class: 'card event-item' },
      h('h2', null, h('a', { href: `/e/${encodeURIComponent(ev.slug)}` }, pick(ev.title))),
      h('p', { class: 'event-when' }, dayLabel(ev.starts_at, ev.venue_tz || 'Asia/Shanghai'), ' · ',
        zones.map((z) => `${zoneLabel(z.tz)} ${hm(ev.starts_at, z.tz)}–${hm(ev.ends_at, z.tz)}`).join(' · ')),
      pick(ev.venue) ? h('p', { class: 'muted' }, pick(ev.venue)) : null,
      h('p', { class: 'muted' }, pick(ev.summary)),
      h('p', { class: 'event-links' },
        h('a', { class: 'btn btn-primary', href: `/e/${encodeURIComponent(ev.slug)}` }, t('events.watch')),
        h('a', { class: 'btn', href: `/e/${encodeURIComponent(ev.slug)}?screen=1` }, t('events.screen')),
        h('a', { class: 'btn', href: `/e/${encodeURIComponent(ev.slug)}/checkin` }, t('events.kiosk'))));
  }));
}

async function main() {
  await initLang();
  langSwitch($('#lang-switch'));
  onLangChange(render);
  try {
    const out = await api('GET', '/api/v1/events');
    events = out.events || [];
  } catch {
    failed = true;
  }
  render();
}

main();
