// What the participant page (/p/{ticket}) and the team page (/t/{token})
// share: the credential from the page's path sent as "Authorization:
// Ticket …", the live connection that tells them when to read their lists
// again, and pieces of markup (times in the reader's zone, places,
// contacts, purposes).

import { api } from './api.js';
import { h } from './dom.js';
import { t } from './i18n.js';
import { dayLabel, hm, ownZone, zoneLabel } from './time.js';

/** credential is the ticket or team token in the page's path. */
export function credential() {
  return decodeURIComponent(location.pathname.split('/')[2] || '');
}

/** tapi calls the API as the page's participant or team. */
export function tapi(method, path, body) {
  return api(method, path, { body, headers: { Authorization: `Ticket ${credential()}` } });
}

/** slug is the page's event. */
export const slug = () => document.body.dataset.slug;

/** ev builds an event API path. */
export const ev = (rest) => `/api/v1/events/${encodeURIComponent(slug())}${rest}`;

/**
 * listen keeps a websocket to the event's live envelopes open (reconnecting
 * with backoff) and calls onMessage(envelope) for each. The private pages
 * use it as a bell: "transfer" says their own data changed, "interest"
 * carries counts, the others what is on stage.
 */
export function listen(onMessage, onState = () => {}) {
  let attempt = 0;
  const open = () => {
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    // bell=1: this page wants the "transfer" bell, which public viewers do not get.
    const sock = new WebSocket(`${proto}//${location.host}/ws/events/${encodeURIComponent(slug())}?bell=1`);
    sock.onopen = () => { attempt = 0; onState('live'); };
    sock.onmessage = (e) => {
      try {
        onMessage(JSON.parse(e.data));
      } catch {
        // a frame we do not understand changes nothing
      }
    };
    sock.onclose = () => {
      onState('reconnecting');
      attempt += 1;
      setTimeout(open, Math.random() * Math.min(30000, 500 * 2 ** attempt));
    };
  };
  open();
}

/** zones are the reader's own zone and the venue's, when another. */
export function zonesOf(event) {
  const own = ownZone();
  const venue = (event && event.venue_tz) || 'Asia/Shanghai';
  return own === venue ? [own] : [own, venue];
}

/** when shows a span of time in the reader's zone (class "own", with
 * data-start) and in the venue's. */
export function when(start, end, zones) {
  return h('span', { class: 'when', dataset: { start } },
    zones.map((tz, i) => h('span', { class: i === 0 ? 'own' : 'other' },
      `${dayLabel(start, tz)} ${hm(start, tz)}–${hm(end, tz)} (${zoneLabel(tz)})`)));
}

/** place names a meeting's table or room. */
export function place(m) {
  return m.mode === 'online' ? t('transfer.room', { name: m.room }) : t('transfer.table', { n: m.table });
}

/** purposeName names a purpose of interest. */
export const purposeName = (p) => t(`transfer.purpose.${p}`);

/** contactLine shows a participant as far as the team may see them. */
export function contactLine(c) {
  if (!c || c.level === 'withheld') return h('span', { class: 'muted contact' }, t('transfer.contact.withheld'));
  return h('span', { class: 'contact' },
    h('b', null, c.name), c.organization ? ` · ${c.organization}` : '', c.country ? ` · ${c.country}` : '',
    c.email ? [' · ', h('a', { href: `mailto:${c.email}` }, c.email)] : null);
}

/** stateChip shows the state of a request, meeting or question. */
export const stateChip = (state) => h('span', { class: `chip chip-${state}` }, t(`transfer.state.${state}`));

/** list renders items into box, or an empty-list note. */
export function list(box, items, render, emptyKey) {
  box.replaceChildren(...(items.length ? items.map(render) : [h('li', { class: 'muted' }, t(emptyKey))]));
}

/** notify shows a short status message in #notice. */
export function notify(text, bad = false) {
  const box = document.getElementById('notice');
  if (!box) return;
  box.hidden = false;
  box.className = bad ? 'notice notice-bad' : 'notice notice-ok';
  box.textContent = text;
}
