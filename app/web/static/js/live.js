// The live viewer page /e/{slug} (every stage side by side) and a stage's
// page /e/{slug}/s/{stage} (and ?screen=1, their hall screens): what is on
// each stage now and next with expected times in Beijing, Budapest and the
// viewer's own time, each stage's stream for the viewer's region, the
// run-of-show, the agenda by day, announcements, attendance and online
// viewers. The server renders now / next and the agenda first; this
// script then draws them from the live data and keeps them current.

import { $, h, keyed, setText, store } from './dom.js';
import { currentLang, fmtNumber, initLang, langSwitch, onLangChange, pick, t } from './i18n.js';
import { LiveClient } from './live-client.js';
import { LiveState } from './live-state.js';
import { agendaDays, agendaRows, currentDay, dayTabs, stageCard, stageName } from './programme.js';
import { itemLine, slotTitle } from './render.js';
import { mountTransfer } from './transfer-live.js';
import { hm, hms, measureClockOffset, offsetLabel, ownZone, viewerZones, zoneLabel } from './time.js';

const body = document.body;
const slug = body.dataset.slug;
const onlyStage = body.dataset.stage || '';
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
  const def = onlyStage ? state.stageDefs.get(onlyStage) : null;
  document.title = def ? `${pick(def.name) || onlyStage} · ${pick(state.event.title)}` : pick(state.event.title);
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
  return [st.stage, JSON.stringify(st.def), s ? `${s.id}:${s.state}:${s.expected_start}:${s.expected_end}:${s.planned_start}:${s.version}` : '-',
    slotSig(st.current), slotSig(st.next), f ? `${f.id}:${f.expected_start}:${f.planned_start}` : '-',
    (st.slots || []).length].join('|');
}

/** shownStages are the stages this page shows: one on a stage's page,
 * else every stage with anything on it (all of them when none has). */
function shownStages() {
  const all = state.stages();
  if (onlyStage) return all.filter((st) => st.stage === onlyStage);
  const busy = all.filter((st) => st.session);
  return busy.length ? busy : all.slice(0, 1);
}

function renderStages() {
  const list = shownStages();
  const box = $('#stages');
  const zs = zones();
  box.classList.toggle('is-multi', list.length > 1);
  // The minute matters: "starting soon" and dates follow the clock.
  const minute = Math.floor(Date.now() / 60000);
  const key = [currentLang(), region, minute, zs.map((z) => z.tz).join(','), state.catalogue, list.map(stageSignature).join('/')].join('#');
  const ctx = { slug, zones: zs, region, named: !onlyStage && state.stageDefs.size > 1, alt: screen ? altLang() : '' };
  keyed(box, key, () => list.map((st) => stageCard(st, ctx)));
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

/** rosStage is the stage whose run-of-show the page lists: its own on a
 * stage's page, else the first stage running one. */
function rosStage() {
  if (onlyStage) return onlyStage;
  const running = state.stages().find((st) => st.session && (st.session.state === 'live' || st.session.state === 'paused') && (st.slots || []).length);
  return running ? running.stage : '';
}

function renderRunOfShow() {
  const stage = rosStage();
  const sc = state.mainShowcase(stage);
  const ol = $('#ros');
  const zs = rosZones();
  const sig = sc ? sc.slots.map((x) => `${x.id}:${x.state}:${x.expected_start}`).join(',') : '-';
  const key = [currentLang(), zs.map((z) => z.tz).join(','), state.catalogue, sc ? sc.session.id : 0, sig].join('#');
  const where = sc && state.stageDefs.size > 1 ? `${stageName({ stage: sc.session.stage, def: state.stageDef(sc.session.stage) })} · ` : '';
  const achievementsOnly = sc && sc.slots.every((x) => x.achievement_id);
  setText($('#ros-sub'), sc ? `${where}${pick(sc.session.title)} · ${t(achievementsOnly ? 'live.items' : 'live.itemCount', { n: sc.slots.length })}` : t('live.noShowcase'));
  keyed($('#ros-head'), `${currentLang()}|${achievementsOnly}|${zs.map((z) => z.tz).join(',')}`, () => [
    h('span', { class: 'ros-pos' }, '#'),
    h('span', { class: 'ros-h-item' }, t(achievementsOnly ? 'live.item' : 'live.itemGeneric')),
    ...zs.map((z) => h('span', { class: 'ros-time' }, zoneLabel(z.tz))),
  ]);
  const changed = keyed(ol, key, () => (sc ? sc.slots.map((x) => {
    return h('li', { class: `ros-row is-${x.state}`, 'aria-current': x.state === 'presenting' ? 'step' : null, dataset: { slot: x.id, state: x.state } },
      h('span', { class: 'ros-pos' }, String(x.position)),
      h('span', { class: 'ros-mark', 'aria-hidden': 'true' }, MARKS[x.state] ?? ''),
      h('span', { class: 'ros-body' },
        h('span', { class: 'ros-title' }, slotTitle(x)),
        h('span', { class: 'ros-meta' }, itemLine(x)),
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

function renderAnnouncements() {
  const list = state.announcementList();
  const tz = primaryZone();
  const key = [currentLang(), tz, JSON.stringify(list.map((a) => [a.id, a.pinned, a.text]))].join('#');
  keyed($('#announcements'), key, () => (list.length ? list.map((a) => h('li', { class: a.pinned ? 'ann is-pinned' : 'ann', dataset: { id: a.id } },
    h('p', { class: 'ann-meta' },
      a.pinned ? h('span', { class: 'pin' }, t('live.pinned')) : null,
      h('time', { datetime: a.created_at, title: `${zoneLabel(tz)} (${offsetLabel(tz, new Date(a.created_at))})` }, hm(a.created_at, tz)),
      h('span', { class: 'ann-zone' }, zoneLabel(tz))),
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

let chosenDay = ''; // the agenda day the reader picked ('' follows today)

function renderAgenda() {
  const list = state.sessionList().filter((s) => !onlyStage || s.stage === onlyStage);
  const zs = zones().slice(0, 2);
  const tz = primaryZone();
  const days = agendaDays(list, tz);
  const day = days.some((d) => d.key === chosenDay) ? chosenDay : currentDay(days, tz);
  const multi = !onlyStage && state.stageDefs.size > 1;
  const names = {};
  if (multi) for (const def of state.stageDefs.values()) names[def.slug] = pick(def.name) || def.slug;
  const minute = Math.floor(Date.now() / 60000);
  const key = [currentLang(), tz, minute, day, zs.map((z) => z.tz).join(','), JSON.stringify(names),
    list.map((s) => `${s.id}:${s.state}:${s.stage}:${s.expected_start}:${s.planned_start}`).join(',')].join('#');
  keyed($('#day-tabs'), `${key}`, () => dayTabs(days, day, (k) => {
    chosenDay = k;
    renderAgenda();
  }));
  const shown = (days.find((d) => d.key === day) || { sessions: [] }).sessions;
  keyed($('#agenda'), key, () => h('ol', { class: 'agenda', dataset: { day } }, agendaRows(shown, { zones: zs, stageNames: multi ? names : null })));
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
    client.setRegion(region); // "other" counts as a region of its own
    renderAll();
  });
}

// Questions and interest (transfer-live.js) keep their own state.
const transfer = mountTransfer({ slug, state, box: $('#transfer-live'), mode: screen ? 'screen' : 'live', stage: onlyStage });

const client = new LiveClient({
  slug,
  state,
  onEnvelope: transfer.accept,
  region,
  lang: currentLang(),
  onChange: (types) => {
    if (types.has('snapshot') || types.has('event.updated')) renderAll();
    else {
      renderStages();
      if (!screen) {
        if ([...types].some((ty) => ty.startsWith('announcement.'))) renderAnnouncements();
        if (types.has('attendance') || types.has('presence')) renderCounts();
        renderRunOfShow();
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
  // "Starting soon", dates and the stream notes follow the clock.
  setInterval(() => {
    if (!state.ready) return;
    renderStages();
    if (!screen) renderAgenda();
  }, 30000);
  measureClockOffset().catch(() => {});
  client.start();
}

main();
