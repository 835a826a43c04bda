// Times in several time zones, formatted for the interface language.
// Every instant on the wire is RFC 3339 UTC; pages show it in Beijing and
// Budapest time (the event's viewer zones) and in the reader's own zone.

import { currentLang, locale, t } from './i18n.js';

/** ownZone is the IANA time zone of this browser. */
export const ownZone = () => {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
};

const formats = new Map();
function format(kind, tz) {
  const key = `${currentLang()}|${kind}|${tz}`;
  let f = formats.get(key);
  if (!f) {
    const opts = { timeZone: tz, hourCycle: 'h23' };
    if (kind === 'hm') Object.assign(opts, { hour: '2-digit', minute: '2-digit' });
    if (kind === 'hms') Object.assign(opts, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
    if (kind === 'date') Object.assign(opts, { weekday: 'short', month: 'short', day: 'numeric' });
    if (kind === 'datetime') Object.assign(opts, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
    if (kind === 'key') Object.assign(opts, { year: 'numeric', month: '2-digit', day: '2-digit' });
    try {
      f = new Intl.DateTimeFormat(kind === 'key' ? 'en-CA' : locale(), opts);
    } catch {
      f = new Intl.DateTimeFormat(locale(), { ...opts, timeZone: 'UTC' });
    }
    formats.set(key, f);
  }
  return f;
}

/** toDate turns an RFC 3339 string (or a Date) into a Date, or null. */
export function toDate(v) {
  if (!v) return null;
  const d = v instanceof Date ? v : new Date(v);
  return Number.isNaN(d.getTime()) || d.getUTCFullYear() < 1900 ? null : d;
}

/** hm formats the hour and minute of v in tz ("09:05"); "–" for none. */
export function hm(v, tz) {
  const d = toDate(v);
  return d ? format('hm', tz).format(d) : '–';
}

/** hms formats hours, minutes and seconds (the clocks). */
export function hms(v, tz) {
  const d = toDate(v);
  return d ? format('hms', tz).format(d) : '–';
}

/** dayKey is the calendar day of v in tz as YYYY-MM-DD ("" for none). */
export function dayKey(v, tz) {
  const d = toDate(v);
  if (!d) return '';
  const parts = format('key', tz).formatToParts(d);
  const get = (type) => (parts.find((p) => p.type === type) || {}).value || '';
  return `${get('year')}-${get('month')}-${get('day')}`;
}

/** when formats v in tz as its hour and minute, with the date in front
 * when that day is not today in tz ("09:05", "Sat 28 Nov 09:05"). */
export function when(v, tz, now = serverNow()) {
  const d = toDate(v);
  if (!d) return '–';
  if (dayKey(d, tz) === dayKey(now, tz)) return hm(d, tz);
  return `${dayLabel(d, tz)} ${hm(d, tz)}`;
}

let clockOffset = 0; // server − device, in ms

/** setClockOffset sets how far the server's clock is ahead of this
 * device's, in ms (measured by measureClockOffset). */
export function setClockOffset(ms) {
  clockOffset = Number.isFinite(ms) ? ms : 0;
}

/** serverNow is the server's time as this device estimates it. */
export const serverNow = () => new Date(Date.now() + clockOffset);

/**
 * measureClockOffset asks the server for its time a few times and keeps
 * the estimate of the quickest round trip: offset = server − (sent +
 * received) / 2. It sets and returns the offset; on failure it keeps the
 * previous one.
 */
export async function measureClockOffset(samples = 3) {
  let best = null;
  for (let i = 0; i < samples; i += 1) {
    try {
      const t0 = Date.now();
      const res = await fetch('/api/v1/time', { cache: 'no-store', credentials: 'same-origin' });
      const t1 = Date.now();
      if (!res.ok) continue;
      const body = await res.json();
      const server = Date.parse(body.now);
      if (!Number.isFinite(server)) continue;
      const rtt = t1 - t0;
      if (!best || rtt < best.rtt) best = { rtt, offset: server - (t0 + t1) / 2 };
    } catch {
      /* try again */
    }
  }
  if (best) setClockOffset(best.offset);
  return clockOffset;
}

/** dayLabel formats the weekday and date of v in tz. */
export function dayLabel(v, tz) {
  const d = toDate(v);
  return d ? format('date', tz).format(d) : '';
}

/** dateTime formats the date and time of v in tz (audit entries). */
export function dateTime(v, tz) {
  const d = toDate(v);
  return d ? format('datetime', tz).format(d) : '';
}

/** sameMinute reports whether two instants fall in the same minute, so
 * "planned" is only shown beside "expected" when a reader would see a
 * difference. */
export function sameMinute(a, b) {
  const x = toDate(a);
  const y = toDate(b);
  if (!x || !y) return true;
  return Math.floor(x.getTime() / 60000) === Math.floor(y.getTime() / 60000);
}

/** minutesBetween is the whole minutes from a to b (may be negative). */
export function minutesBetween(a, b) {
  const x = toDate(a);
  const y = toDate(b);
  if (!x || !y) return 0;
  return Math.round((y.getTime() - x.getTime()) / 60000);
}

/** offsetLabel is the UTC offset of tz at v, e.g. "UTC+8". */
export function offsetLabel(tz, v = new Date()) {
  try {
    const parts = new Intl.DateTimeFormat('en-GB', { timeZone: tz, timeZoneName: 'shortOffset' }).formatToParts(v);
    const p = parts.find((x) => x.type === 'timeZoneName');
    return p ? p.value.replace('GMT', 'UTC') : '';
  } catch {
    return '';
  }
}

const ZONE_KEYS = {
  'Asia/Shanghai': 'tz.beijing',
  'Asia/Chongqing': 'tz.beijing',
  'Europe/Budapest': 'tz.budapest',
};

/** zoneLabel names a time zone for readers ("Beijing", "Budapest"), or
 * its city part. */
export function zoneLabel(tz) {
  if (ZONE_KEYS[tz]) return t(ZONE_KEYS[tz]);
  const city = tz.split('/').pop() || tz;
  return city.replace(/_/g, ' ');
}

/**
 * viewerZones lists the zones a viewer sees: the event's viewer zones (in
 * their order) and this browser's zone when it is not one of them. Each is
 * {tz, own} where own marks the browser's zone.
 */
export function viewerZones(event) {
  const own = ownZone();
  const list = (event && event.viewer_tzs && event.viewer_tzs.length ? event.viewer_tzs : ['Asia/Shanghai', 'Europe/Budapest'])
    .map((tz) => ({ tz, own: sameZone(tz, own) }));
  if (!list.some((z) => z.own)) list.push({ tz: own, own: true });
  return list;
}

function sameZone(a, b) {
  if (a === b) return true;
  const china = ['Asia/Shanghai', 'Asia/Chongqing', 'Asia/Harbin', 'PRC'];
  return china.includes(a) && china.includes(b);
}
