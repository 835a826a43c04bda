// Pieces of markup shared by the viewer page and the console: times in
// several zones with planned vs expected, state chips, names of places,
// kinds and presenter modes in the interface language.

import { h } from './dom.js';
import { pick, t } from './i18n.js';
import { hm, minutesBetween, sameMinute, zoneLabel } from './time.js';

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

/** shiftNote says how far expected is from planned ("5 min late"), or
 * null when they fall in the same minute. */
export function shiftNote(planned, expected) {
  if (sameMinute(planned, expected)) return null;
  const n = minutesBetween(planned, expected);
  if (n === 0) return null;
  return h('span', { class: n > 0 ? 'shift shift-late' : 'shift shift-early' },
    n > 0 ? t('time.late', { n }) : t('time.early', { n: -n }));
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
        h('time', { datetime: expected || '' }, hm(expected, z.tz)),
        differs ? h('del', { class: 'planned' },
          h('span', { class: 'visually-hidden' }, `${t('time.planned')} `), hm(planned, z.tz)) : null))));
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

/** slotTitle is the achievement's title in the language. */
export const slotTitle = (slot, lang) => (slot && slot.achievement ? pick(slot.achievement.title, lang) : '');
