// The live viewer page /e/{slug} (and ?screen=1, the hall screen): what
// is on stage now and next with expected times in Beijing, Budapest and
// the viewer's own time, the run-of-show, the agenda, announcements,
// attendance and online viewers, and the stream for the viewer's region.

import { $, h, keyed, setText, store } from './dom.js';
import { currentLang, fmtNumber, initLang, langSwitch, onLangChange, pick, t } from './i18n.js';
import { LiveClient } from './live-client.js';
import { LiveState } from './live-state.js';
import { achievementMeta, kindName, placeName, shiftNote, slotTitle, stateChip, zoneTimes } from './render.js';
import { hm, hms, offsetLabel, ownZone, viewerZones, zoneLabel } from './time.js';

const body = document.body;
const slug = body.dataset.slug;
const screen = document.documentElement.classList.contains('screen');
const regions = (body.dataset.regions || 'cn,hu').split(',').filter(Boolean);
const state = new LiveState();
const REGION_KEY = 'hc.region';

let region = initialRegion();
let connStatus = { state: 'connecting', transport: 'ws' };
let userScrolledAt = 0;
let autoScrollAt = 0;

/** initialRegion: remembered, else guessed from the time zone and the
 * browser language; "other" for everyone else. */
function initialRegion() {
  const saved = store.get(REGION_KEY);
  if (saved && (saved === 'other' || regions.includes(saved))) return saved;
  const tz = ownZone();
  const lang = (navigator.language || '').toLowerCase();
  if (['Asia/Shanghai', 'Asia/Chongqing', 'Asia/Harbin', 'Asia/Urumqi'].includes(tz) || lang === 'zh-cn' || lang === 'zh-hans-cn') {
    if (regions.includes('cn')) return 'cn';
  }
  if (tz === 'Europe/Budapest' || lang.startsWith('hu')) {
    if (regions.includes('hu')) return 'hu';
  }
  return 'other';
}

/** primaryZone is the zone of times that show only one (announcements). */
function primaryZone() {
  if (region === 'cn') return 'Asia/Shanghai';
  if (region === 'hu') return 'Europe/Budapest';
  return ownZone();
}

/** zones are the time zones times are shown in; the hall screen shows
 * the event's zones only and marks none as the reader's. */
function zones() {
  const all = viewerZones(state.event);
  if (!screen) return all;
  const n = (state.event && state.event.viewer_tzs && state.event.viewer_tzs.length) || 2;
  return all.slice(0, n).map((z) => ({ tz: z.tz, own: false }));
}

/** altLang is the second language of the hall screen (?also=), by
 * default English beside Chinese or Hungarian, and Chinese beside English. */
function altLang() {
  const q = new URLSearchParams(location.search).get('also');
  if (q === 'none') return '';
  if (['zh', 'en', 'hu'].includes(q) && q !== currentLang()) return q;
  return currentLang() === 'en' ? 'zh' : 'en';
}

// ---- header, clocks, status ----------------------------------------------

function renderHeader() {
  if (!state.event) return;
  setText($('#event-title'), pick(state.event.title));
  setText($('#event-venue'), pick(state.event.venue));
  document.title = pick(state.event.title);
}

function renderClocks() {
  const now = new Date();
  const list = zones();
  const clocks = Array.from(document.querySelectorAll('#clocks .clock'));
  clocks.forEach((el, i) => {
    const z = list[i];
    el.hidden = !z;
    if (!z) return;
    setText(el.querySelector('.clock-label'), z.own && !['Asia/Shanghai', 'Europe/Budapest'].includes(z.tz) ? t('tz.yours') : zoneLabel(z.tz));
    setText(el.querySelector('.clock-time'), screen ? hm(now, z.tz) : hms(now, z.tz));
    setText(el.querySelector('.clock-off'), offsetLabel(z.tz, now));
  });
}

function renderStatus() {
  const el = $('#conn');
  const s = connStatus;
  let key = 'conn.connecting';
  if (s.state === 'live') key = s.transport === 'sse' ? 'conn.liveSSE' : 'conn.live';
  if (s.state === 'reconnecting') key = 'conn.reconnecting';
  el.dataset.state = s.state;
  el.dataset.transport = s.transport;
  setText(el.querySelector('.conn-text'), t(key));
  // The wait goes in the tooltip: the pill keeps its width.
  if (s.state === 'reconnecting' && s.retryIn >= 1000) el.title = t('conn.retryIn', { s: Math.ceil(s.retryIn / 1000) });
  else el.removeAttribute('title');
}

// ---- now and next --------------------------------------------------------

function stageSignature(st) {
  const slotSig = (x) => (x ? `${x.id}:${x.state}:${x.expected_start}:${x.expected_end}:${x.planned_start}` : '-');
  const s = st.session;
  const f = st.following;
  return [st.stage, s ? `${s.id}:${s.state}:${s.expected_start}:${s.expected_end}:${s.planned_start}:${s.version}` : '-',
    slotSig(st.current), slotSig(st.next), f ? `${f.id}:${f.expected_start}:${f.planned_start}` : '-',
    (st.slots || []).length].join('|');
}

function renderStages() {
  const list = state.stages().filter((st) => st.session);
  const box = $('#stages');
  const zs = zones();
  const key = [currentLang(), region, zs.map((z) => z.tz).join(','), state.catalogue, list.map(stageSignature).join('/')].join('#');
  keyed(box, key, () => {
    if (!list.length) {
      return h('article', { class: 'stage' }, h('div', { class: 'now card now-ended' },
        h('p', { class: 'label' }, t('live.programmeOver')),
        h('p', { class: 'now-title' }, t('live.thanks'))));
    }
    return list.map((st) => stageCard(st, list.length > 1, zs));
  });
}

function stageCard(st, named, zs) {
  const s = st.session;
  const active = s.state === 'live' || s.state === 'paused';
  const stageName = named ? h('span', { class: 'stage-name' }, t('live.stage', { name: st.stage })) : null;
  const total = (st.slots || []).length;
  let now;
  let next;
  if (active && st.current) {
    const a = st.current.achievement;
    now = h('div', { class: `now card${s.state === 'paused' ? ' is-paused' : ''}`, dataset: { slot: st.current.id } },
      h('p', { class: 'label' }, h('span', { class: 'onair', 'aria-hidden': 'true' }),
        t(s.state === 'paused' ? 'live.paused' : 'live.nowPresenting'), stageName,
        h('span', { class: 'pos' }, t('live.position', { n: st.current.position, total }))),
      h('p', { class: 'now-title', id: 'now-title' }, slotTitle(st.current)),
      screen && altLang() ? h('p', { class: 'alt-title', lang: altLang() }, slotTitle(st.current, altLang())) : null,
      h('p', { class: 'meta' }, achievementMeta(a)),
      h('div', { class: 'now-times' },
        h('p', { class: 'times-label' }, t('live.until')),
        zoneTimes(st.current.expected_end, st.current.planned_end, zs, { cls: 'zones-end' })));
  } else if (active) {
    now = h('div', { class: `now card${s.state === 'paused' ? ' is-paused' : ''}`, dataset: { session: s.id } },
      h('p', { class: 'label' }, h('span', { class: 'onair', 'aria-hidden': 'true' }),
        t(s.state === 'paused' ? 'live.paused' : 'live.now'), stageName, h('span', { class: 'pos' }, kindName(s.kind))),
      h('p', { class: 'now-title', id: 'now-title' }, pick(s.title)),
      screen && altLang() ? h('p', { class: 'alt-title', lang: altLang() }, pick(s.title, altLang())) : null,
      h('div', { class: 'now-times' },
        h('p', { class: 'times-label' }, t('live.until')),
        zoneTimes(s.expected_end, s.planned_end, zs, { cls: 'zones-end' })));
  } else {
    now = h('div', { class: 'now card is-upcoming', dataset: { session: s.id } },
      h('p', { class: 'label' }, t('live.startsSoon'), stageName, h('span', { class: 'pos' }, kindName(s.kind))),
      h('p', { class: 'now-title', id: 'now-title' }, pick(s.title)),
      screen && altLang() ? h('p', { class: 'alt-title', lang: altLang() }, pick(s.title, altLang())) : null,
      h('div', { class: 'now-times' },
        h('p', { class: 'times-label' }, t('live.startsAt'), shiftNote(s.planned_start, s.expected_start)),
        zoneTimes(s.expected_start, s.planned_start, zs)));
  }
  const upSlot = st.next && (active || !st.current) ? st.next : null;
  if (upSlot && (active || s.kind === 'showcase')) {
    next = h('div', { class: 'next card', dataset: { slot: upSlot.id } },
      h('p', { class: 'label' }, t('live.upNext'), h('span', { class: 'pos' }, t('live.position', { n: upSlot.position, total }))),
      h('p', { class: 'next-title', id: 'next-title' }, slotTitle(upSlot)),
      screen && altLang() ? h('p', { class: 'alt-title', lang: altLang() }, slotTitle(upSlot, altLang())) : null,
      h('p', { class: 'meta' }, achievementMeta(upSlot.achievement)),
      h('div', { class: 'next-times', id: 'next-times' },
        h('p', { class: 'times-label' }, t('live.expectedStart'), shiftNote(upSlot.planned_start, upSlot.expected_start)),
        zoneTimes(upSlot.expected_start, upSlot.planned_start, zs)));
  } else if (st.following) {
    const f = st.following;
    next = h('div', { class: 'next card', dataset: { session: f.id } },
      h('p', { class: 'label' }, t('live.upNext'), h('span', { class: 'pos' }, kindName(f.kind))),
      h('p', { class: 'next-title', id: 'next-title' }, pick(f.title)),
      screen && altLang() ? h('p', { class: 'alt-title', lang: altLang() }, pick(f.title, altLang())) : null,
      f.fixed_start ? h('p', { class: 'meta' }, h('span', { class: 'badge badge-fixed' }, t('live.fixedStart'))) : null,
      h('div', { class: 'next-times', id: 'next-times' },
        h('p', { class: 'times-label' }, t('live.expectedStart'), shiftNote(f.planned_start, f.expected_start)),
        zoneTimes(f.expected_start, f.planned_start, zs)));
  } else {
    next = h('div', { class: 'next card is-empty' },
      h('p', { class: 'label' }, t('live.upNext')),
      h('p', { class: 'next-title muted' }, t('live.nothingNext')));
  }
  return h('article', { class: 'stage', dataset: { stage: st.stage, state: s.state } }, now, next);
}

// ---- run-of-show -----------------------------------------------------------

const MARKS = { done: '✓', skipped: '↷', presenting: '▶', pending: '' };

/** rosZones are the two columns of times in the run-of-show: the event's
 * zones, the reader's region first (a phone shows only the first). */
function rosZones() {
  const zs = zones().slice(0, 2);
  const i = zs.findIndex((z) => z.tz === primaryZone());
  if (i > 0) zs.unshift(zs.splice(i, 1)[0]);
  return zs;
}

function renderRunOfShow() {
  const sc = state.mainShowcase();
  const ol = $('#ros');
  const zs = rosZones();
  const sig = sc ? sc.slots.map((x) => `${x.id}:${x.state}:${x.expected_start}`).join(',') : '-';
  const key = [currentLang(), zs.map((z) => z.tz).join(','), state.catalogue, sc ? sc.session.id : 0, sig].join('#');
  setText($('#ros-sub'), sc ? `${pick(sc.session.title)} · ${t('live.items', { n: sc.slots.length })}` : t('live.noShowcase'));
  keyed($('#ros-head'), `${currentLang()}|${zs.map((z) => z.tz).join(',')}`, () => [
    h('span', { class: 'ros-pos' }, '#'),
    h('span', { class: 'ros-h-item' }, t('live.item')),
    ...zs.map((z) => h('span', { class: 'ros-time' }, zoneLabel(z.tz))),
  ]);
  const changed = keyed(ol, key, () => (sc ? sc.slots.map((x) => {
    const a = x.achievement || {};
    return h('li', { class: `ros-row is-${x.state}`, 'aria-current': x.state === 'presenting' ? 'step' : null, dataset: { slot: x.id, state: x.state } },
      h('span', { class: 'ros-pos' }, String(x.position)),
      h('span', { class: 'ros-mark', 'aria-hidden': 'true' }, MARKS[x.state] ?? ''),
      h('span', { class: 'ros-body' },
        h('span', { class: 'ros-title' }, pick(a.title)),
        h('span', { class: 'ros-meta' }, [a.institution, placeName(a.region), a.presenter].filter(Boolean).join(' · ')),
        x.state !== 'pending' ? h('span', { class: `ros-state ros-state-${x.state}` }, t(`slot.${x.state}`)) : null),
      ...zs.map((z) => h('span', { class: 'ros-time' },
        h('time', { datetime: x.expected_start }, hm(x.expected_start, z.tz)))));
  }) : []));
  if (changed) scrollToCurrent();
}

/** scrollToCurrent scrolls the run-of-show list (never the page) so the
 * presenting item is in view, unless the reader scrolled it lately. */
function scrollToCurrent() {
  const ol = $('#ros');
  if (Date.now() - userScrolledAt < 20000) return;
  const row = ol.querySelector('.is-presenting') || ol.querySelector('.is-pending');
  if (!row) return;
  const top = row.offsetTop - ol.offsetTop - 8;
  autoScrollAt = Date.now();
  ol.scrollTop = Math.max(0, top - ol.clientHeight / 4);
}

// ---- side column -----------------------------------------------------------

function renderStream() {
  const st = state.stages().find((x) => x.session);
  const s = st ? st.session : state.sessionList()[0];
  const links = (s && s.stream_links) || {};
  const url = (region !== 'other' && links[region]) || links.default || '';
  const a = $('#stream-link');
  const channel = region === 'other' ? t('region.other') : t(`region.${region}`);
  if (url && /^https?:\/\//i.test(url)) {
    a.href = url;
    a.removeAttribute('aria-disabled');
    a.classList.remove('is-disabled');
  } else {
    a.href = '#';
    a.setAttribute('aria-disabled', 'true');
    a.classList.add('is-disabled');
  }
  setText($('#watch-note'), url ? t('live.streamFor', { region: channel }) : t('live.noStream'));
}

function renderAnnouncements() {
  const list = state.announcementList();
  const tz = primaryZone();
  const key = [currentLang(), tz, list.map((a) => `${a.id}:${a.pinned}`).join(',')].join('#');
  keyed($('#announcements'), key, () => (list.length ? list.map((a) => h('li', { class: a.pinned ? 'ann is-pinned' : 'ann', dataset: { id: a.id } },
    h('p', { class: 'ann-meta' },
      a.pinned ? h('span', { class: 'pin' }, t('live.pinned')) : null,
      h('time', { datetime: a.created_at }, hm(a.created_at, tz))),
    h('p', { class: 'ann-text' }, pick(a.text)))) : [h('li', { class: 'ann muted' }, t('live.noAnnouncements'))]));
}

function renderCounts() {
  const att = state.attendance || { checked_in: 0, expected: 0 };
  const pr = state.presence || { total: 0, regions: {} };
  const key = [currentLang(), att.checked_in, att.expected, pr.total, JSON.stringify(pr.regions)].join('#');
  keyed($('#counts'), key, () => {
    const pct = att.expected > 0 ? Math.min(100, Math.round((att.checked_in / att.expected) * 100)) : 0;
    const bar = h('span', { class: 'meter-fill' });
    bar.style.width = `${pct}%`;
    const regionRows = Object.entries(pr.regions || {}).sort((a, b) => b[1] - a[1]);
    return [
      h('div', { class: 'count' },
        h('p', { class: 'count-label' }, t('live.onsite')),
        h('p', { class: 'count-num', id: 'count-onsite' }, fmtNumber(att.checked_in),
          h('span', { class: 'count-of' }, ` / ${fmtNumber(att.expected)}`)),
        h('div', { class: 'meter', role: 'img', 'aria-label': t('live.checkedInOf', { n: att.checked_in, total: att.expected }) }, bar),
        h('p', { class: 'count-sub' }, t('live.checkedIn'))),
      h('div', { class: 'count' },
        h('p', { class: 'count-label' }, t('live.online')),
        h('p', { class: 'count-num', id: 'count-online' }, fmtNumber(pr.total || 0)),
        h('ul', { class: 'region-counts' }, regionRows.map(([r, n]) => h('li', null,
          h('span', null, t(`region.${r}`) === `region.${r}` ? r.toUpperCase() : t(`region.${r}`)),
          h('b', null, fmtNumber(n)))))),
    ];
  });
}

function renderAgenda() {
  const list = state.sessionList();
  const zs = zones().slice(0, 2);
  const key = [currentLang(), zs.map((z) => z.tz).join(','),
    list.map((s) => `${s.id}:${s.state}:${s.expected_start}:${s.planned_start}`).join(',')].join('#');
  keyed($('#agenda'), key, () => list.map((s) => h('li', { class: `agenda-row is-${s.state}`, dataset: { session: s.id } },
    h('div', { class: 'agenda-top' },
      h('span', { class: 'agenda-kind' }, kindName(s.kind)),
      stateChip(s.state),
      s.fixed_start ? h('span', { class: 'badge badge-fixed' }, t('live.fixedStart')) : null),
    h('p', { class: 'agenda-title' }, pick(s.title)),
    zoneTimes(s.expected_start, s.planned_start, zs, { cls: 'zones-compact' }))));
}

function renderFooter() {
  const zs = zones();
  setText($('#tz-note'), t('live.tzNote', { zones: zs.map((z) => `${zoneLabel(z.tz)} (${offsetLabel(z.tz)})`).join(' · ') }));
}

// ---- wiring ------------------------------------------------------------------

function renderAll() {
  renderHeader();
  renderStages();
  if (!screen) {
    renderRunOfShow();
    renderStream();
    renderAnnouncements();
    renderCounts();
    renderAgenda();
    renderFooter();
  }
  renderClocks();
}

function regionPicker() {
  const sel = $('#region');
  const fill = () => {
    sel.replaceChildren(...[...regions, 'other'].map((r) => h('option', { value: r, selected: r === region },
      t(`region.${r}`) === `region.${r}` ? r.toUpperCase() : t(`region.${r}`))));
  };
  fill();
  onLangChange(fill);
  sel.addEventListener('change', () => {
    region = sel.value;
    store.set(REGION_KEY, region);
    client.setRegion(regions.includes(region) ? region : '');
    renderAll();
  });
}

const client = new LiveClient({
  slug,
  state,
  region: regions.includes(region) ? region : '',
  lang: currentLang(),
  onChange: (types) => {
    if (types.has('snapshot') || types.has('event.updated')) renderAll();
    else {
      renderStages();
      if (!screen) {
        if (types.has('announcement.posted')) renderAnnouncements();
        if (types.has('attendance') || types.has('presence')) renderCounts();
        renderRunOfShow();
        renderStream();
        renderAgenda();
      }
    }
  },
  onStatus: (s) => {
    connStatus = s;
    renderStatus();
  },
});

async function main() {
  await initLang();
  if (!screen) {
    langSwitch($('#lang-switch'));
    regionPicker();
  }
  $('#ros').addEventListener('scroll', () => {
    if (Date.now() - autoScrollAt > 200) userScrolledAt = Date.now();
  }, { passive: true });
  onLangChange(() => {
    renderAll();
    renderStatus();
  });
  renderClocks();
  setInterval(renderClocks, 1000);
  client.start();
}

main();
