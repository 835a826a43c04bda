// The presenter timer /e/{slug}/s/{stage}/timer: for whoever is on the
// stage, big digits counting down to the current item's expected end (the
// session's when it has no run-of-show), a warning in the last minute,
// overtime counting up, and what comes next. It follows the server's
// clock, not the device's: the offset is measured against /api/v1/time
// when the page opens and every few minutes. A place is kept for the
// approved questions of the item on stage (they come with the questions
// feature).

import { $, setText } from './dom.js';
import { initLang, onLangChange, pick, t } from './i18n.js';
import { LiveClient, showStatus } from './live-client.js';
import { LiveState } from './live-state.js';
import { itemLine, slotTitle } from './render.js';
import { mountTransfer } from './transfer-live.js';
import { hm, measureClockOffset, serverNow, when } from './time.js';

const body = document.body;
const slug = body.dataset.slug;
const stage = body.dataset.stage;
const state = new LiveState();
const WARN_MS = 60 * 1000; // the last minute

// dueOf remembers, per item, when it is due to end: the expected end the
// server sent while the item was on time. Once an item overruns the
// server's expected end follows "now", so overtime counts from here.
const dueOf = new Map();
let pausedLeft = null; // ms left when the session was paused

function zone() {
  return (state.event && state.event.venue_tz) || 'Asia/Shanghai';
}

/** target says what the digits count to: {kind: 'item'|'session'|'start', at, title, meta, label}. */
function target() {
  const st = state.stages().find((x) => x.stage === stage);
  if (!st || !st.session) return { st, kind: 'none' };
  const s = st.session;
  const running = s.state === 'live' || s.state === 'paused';
  if (!running) return { st, kind: 'start', at: Date.parse(s.expected_start), title: pick(s.title), meta: '', label: t('timer.startsIn') };
  if (st.current) {
    const c = st.current;
    const end = Date.parse(c.expected_end);
    const now = serverNow().getTime();
    if (!dueOf.has(c.id) || end > now + 1500) {
      // An end about now may be an overrun the server clamped to the
      // moment it computed: count from the plan instead.
      const planned = c.actual_start ? Date.parse(c.actual_start) + c.planned_seconds * 1000 : end;
      dueOf.set(c.id, end > now + 1500 ? end : Math.min(end, planned));
    }
    return { st, kind: 'item', at: dueOf.get(c.id), title: slotTitle(c), meta: itemLine(c), label: t('timer.itemEnds') };
  }
  return { st, kind: 'session', at: Date.parse(s.expected_end), title: pick(s.title), meta: '', label: t('timer.sessionEnds') };
}

/** digits writes ms as M:SS, or H:MM:SS from an hour. */
function digits(ms) {
  const total = Math.floor(Math.abs(ms) / 1000);
  const hh = Math.floor(total / 3600);
  const mm = Math.floor((total % 3600) / 60);
  const ss = String(total % 60).padStart(2, '0');
  return hh ? `${hh}:${String(mm).padStart(2, '0')}:${ss}` : `${mm}:${ss}`;
}

function tick() {
  const now = serverNow();
  setText($('#timer-clock'), hm(now, zone()));
  if (!state.ready) return;
  const tg = target();
  const box = $('#timer-now');
  let phase = 'none';
  let text = '--:--';
  if (tg.kind !== 'none') {
    const paused = tg.st.session.state === 'paused';
    let left = tg.at - now.getTime();
    if (paused) {
      if (pausedLeft === null) pausedLeft = left;
      left = pausedLeft;
    } else {
      pausedLeft = null;
    }
    if (tg.kind === 'start') {
      phase = 'waiting';
      text = left > 0 ? digits(left) : '0:00';
    } else if (paused) {
      phase = 'paused';
      text = left >= 0 ? digits(left) : `+${digits(left)}`;
    } else if (left < 0) {
      phase = 'overtime';
      text = `+${digits(left)}`;
    } else {
      phase = left <= WARN_MS ? 'warning' : 'running';
      text = digits(left);
    }
  }
  box.dataset.phase = phase;
  setText($('#timer-digits'), text);
}

function render() {
  const tg = target();
  const zoneName = zone();
  const labels = {
    none: t('timer.nothing'),
    start: t('timer.upcoming'),
    item: t('live.nowPresenting'),
    session: t('live.now'),
  };
  let label = labels[tg.kind];
  if (tg.st && tg.st.session && tg.st.session.state === 'paused') label = t('live.paused');
  setText($('#timer-label'), label);
  setText($('#timer-title'), tg.title || t('live.thanks'));
  setText($('#timer-meta'), tg.meta || '');
  setText($('#timer-until'), tg.at ? `${tg.label} ${when(new Date(tg.at), zoneName)}` : '');
  // Next: the next item, else the session after.
  const st = tg.st;
  let nextTitle = t('live.nothingNext');
  let nextMeta = '';
  if (st && st.next && (tg.kind !== 'start')) {
    nextTitle = slotTitle(st.next);
    nextMeta = itemLine(st.next);
  } else if (st && st.following) {
    nextTitle = pick(st.following.title);
    nextMeta = `${t('live.expectedStart')} ${when(st.following.expected_start, zoneName)}`;
  }
  setText($('#timer-next-label'), t('live.upNext'));
  setText($('#timer-next-title'), nextTitle);
  setText($('#timer-next-meta'), nextMeta);
  if (state.event) {
    const def = state.stageDefs.get(stage);
    document.title = `${t('timer.title')} · ${def ? pick(def.name) || stage : stage}`;
  }
  tick();
}

async function main() {
  await initLang();
  onLangChange(render);
  await measureClockOffset().catch(() => 0);
  setInterval(() => measureClockOffset().catch(() => 0), 5 * 60 * 1000);
  const transfer = mountTransfer({ slug, state, box: $('#timer-questions'), mode: 'timer', stage, emptyKey: 'timer.questionsLater' });
  const client = new LiveClient({ slug, state, onChange: render, onEnvelope: transfer.accept, onStatus: (st) => showStatus($('#conn'), st, t) });
  client.start();
  setInterval(tick, 250);
  tick();
  body.dataset.ready = 'true';
}

main();
