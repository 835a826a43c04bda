// Pieces of markup shared by the viewer page and the console: times in
// several zones with planned vs expected, state chips, names of places,
// kinds and presenter modes in the interface language.

import { h } from './dom.js';
import { pick, t } from './i18n.js';
import { minutesBetween, sameMinute, when, zoneLabel } from './time.js';

/** label returns t(prefix+value) when the dictionary has it, else value. */
export function label(prefix, value) {
  if (!value) return '';
  const key = prefix + String(value).toLowerCase();
  const s = t(key);
  return s === key ? value : s;
}

/** placeName translates a home region of an achievement (Chongqing,
 * Hungary, …) when the dictionary knows it. */
export const placeName = (region) => label('place.', region);

/** kindName names a session kind. */
export const kindName = (kind) => label('kind.', kind);

/** stateChip is a small badge for a session or slot state. */
export function stateChip(state) {
  return h('span', { class: `chip chip-${state}` }, label('state.', state));
}

/** modeBadge says whether a presenter is in the hall or remote. */
export function modeBadge(mode) {
  if (!mode) return null;
  return h('span', { class: `badge badge-${mode}` }, label('mode.', mode));
}

/** span says a length of time in whole minutes as the language does:
 * "1 h 20 min", "45 min", "2 h" (never "80 min"). */
export function span(minutes) {
  const m = Math.abs(Math.round(minutes));
  const h = Math.floor(m / 60);
  const r = m % 60;
  if (h && r) return t('time.durHM', { h, m: r });
  if (h) return t('time.durH', { h });
  return t('time.durM', { m: r });
}

/** shiftNote says how far expected is from planned ("1 h 20 min later
 * than planned"), or null when they fall in the same minute. */
export function shiftNote(planned, expected) {
  if (sameMinute(planned, expected)) return null;
  const n = minutesBetween(planned, expected);
  if (n === 0) return null;
  return h('span', { class: n > 0 ? 'shift shift-late' : 'shift shift-early' },
    t(n > 0 ? 'time.late' : 'time.early', { d: span(n) }));
}

/**
 * zoneTimes shows an instant in each zone: the expected time, and the
 * planned one struck through beside it when they differ. data-expected
 * carries the instant (ISO) so tests and tools can read it exactly.
 * zones: [{tz, own}].
 */
export function zoneTimes(expected, planned, zones, { cls = '' } = {}) {
  const differs = planned && !sameMinute(planned, expected);
  return h('dl', { class: `zones ${cls}`, dataset: { expected: expected || '' } },
    zones.map((z) => h('div', { class: z.own ? 'zone zone-own' : 'zone' },
      h('dt', null, z.own && !isKnownZone(z.tz) ? t('tz.yours') : zoneLabel(z.tz),
        z.own && isKnownZone(z.tz) ? h('span', { class: 'you' }, ` · ${t('tz.you')}`) : null),
      h('dd', null,
        h('time', { datetime: expected || '' }, when(expected, z.tz)),
        differs ? h('del', { class: 'planned' },
          h('span', { class: 'visually-hidden' }, `${t('time.planned')} `), when(planned, z.tz)) : null))));
}

function isKnownZone(tz) {
  return ['Asia/Shanghai', 'Asia/Chongqing', 'Europe/Budapest'].includes(tz);
}

/** achievementMeta is "Institution · Region · Presenter [badge]". */
export function achievementMeta(a) {
  if (!a) return [];
  const parts = [a.institution, placeName(a.region)].filter(Boolean).join(' · ');
  return [
    h('span', { class: 'inst' }, parts),
    a.presenter ? h('span', { class: 'presenter' }, h('span', { class: 'visually-hidden' }, `${t('live.presenter')}: `), a.presenter) : null,
    modeBadge(a.presenter_mode),
  ];
}

/** slotTitle is the title of a run-of-show item in the language: its
 * achievement's, or a free item's own. */
export function slotTitle(slot, lang) {
  if (!slot) return '';
  if (slot.achievement) return pick(slot.achievement.title, lang);
  return pick(slot.title, lang);
}

/** itemMeta is what a page says under an item's title: the achievement's
 * institution, region and presenter, or a free item's presenter. */
export function itemMeta(slot) {
  if (!slot) return [];
  if (slot.achievement || slot.achievement_id) return achievementMeta(slot.achievement);
  return [
    slot.presenter ? h('span', { class: 'presenter' }, h('span', { class: 'visually-hidden' }, `${t('live.presenter')}: `), slot.presenter) : null,
    modeBadge(slot.presenter_mode),
  ];
}

/** itemLine is an item's meta as one line of text (run-of-show rows). */
export function itemLine(slot) {
  if (!slot) return '';
  const a = slot.achievement;
  if (a) return [a.institution, placeName(a.region), a.presenter].filter(Boolean).join(' · ');
  return slot.presenter || '';
}

/** streamOf says what a stage streams to a viewer of region: {url, live}.
 * The links are the stage's with the session's laid over them; the link
 * is live only while the stage's session is live (or paused). */
export function streamOf(st, region) {
  const links = { ...((st.def && st.def.stream_links) || {}), ...((st.session && st.session.stream_links) || {}) };
  const url = (region && region !== 'other' && links[region]) || links.default || '';
  const live = !!st.session && (st.session.state === 'live' || st.session.state === 'paused');
  return { url: /^https?:\/\//i.test(url) ? url : '', live };
}
