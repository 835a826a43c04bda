// The check-in kiosk /e/{slug}/checkin. A keyboard-wedge scanner types
// the ticket into an input that always has the focus and presses Enter;
// the answer fills the screen (green, amber, red) with a tone. With the
// network, the server decides; without it, the kiosk decides from the
// check-in kit (Ed25519 in WebCrypto, revoked ids, names), queues the
// scan in IndexedDB with its own scan_id and time, and uploads the queue
// through the batch endpoint when the network returns. Scan times are the
// server's clock as the kiosk estimates it: the offset measured against
// /api/v1/time while online (kept across restarts) corrects the device
// clock, so an offline scan's scanned_at is comparable with other gates'.

import { $, h, setText, store } from './dom.js';
import { fmtNumber, initLang, langSwitch, onLangChange, t } from './i18n.js';
import { api, ApiError, logout } from './api.js';
import * as db from './kiosk-db.js';
import { cue, unlock } from './feedback.js';
import { importKey, judge } from './ticket.js';
import { hm, measureClockOffset, ownZone, serverNow, setClockOffset } from './time.js';
import { meetingMode } from './kiosk-meeting.js';
import { Camera } from './kiosk-camera.js';

const slug = document.body.dataset.slug;
const base = `/api/v1/events/${encodeURIComponent(slug)}`;
const RESULT_MS = 2500;
const SCAN_TIMEOUT = 4000; // an online answer slower than this is treated as offline
const KIT_EVERY = 5 * 60 * 1000;
const SUMMARY_EVERY = 15000;
const BATCH = 200;
const COUNTS_KEY = `hc.kiosk.counts.${slug}`;
const CLOCK_KEY = 'hc.kiosk.clockOffset'; // server − device, in ms, last measured

const kit = { key: null, revoked: new Set(), attendees: new Map(), version: '', etag: '', savedAt: '', tz: 'Asia/Shanghai' };
const recent = []; // newest first: {scan_id, at, result, reason, name, queued}
let online = navigator.onLine !== false;
let syncing = false;
let syncAttempt = 0;
let syncTimer = null;
let needLogin = false;
let queueCount = 0;
let resultTimer = null;
let counts = loadCounts();

function loadCounts() {
  try {
    const c = JSON.parse(store.get(COUNTS_KEY) || '{}');
    return { ok: c.ok | 0, already: c.already | 0, rejected: c.rejected | 0 };
  } catch {
    return { ok: 0, already: 0, rejected: 0 };
  }
}

function saveCounts() {
  store.set(COUNTS_KEY, JSON.stringify(counts));
}

// ---- the server's clock ----------------------------------------------------

/** restoreClock applies the offset measured in an earlier session, so a
 * kiosk restarted without the network still corrects its clock. */
function restoreClock() {
  const v = store.get(CLOCK_KEY);
  const ms = Number(v);
  if (v === null || v === '' || !Number.isFinite(ms)) return;
  setClockOffset(ms);
  showClock(ms);
}

/** syncClock measures the offset against the server (online only; a
 * failed measurement keeps the previous one) and keeps it. */
async function syncClock() {
  const ms = await measureClockOffset().catch(() => null);
  if (ms === null || !Number.isFinite(ms)) return;
  store.set(CLOCK_KEY, String(Math.round(ms)));
  showClock(ms);
}

function showClock(ms) {
  document.body.dataset.clockOffset = String(Math.round(ms));
}

// ---- focus: the scan input always has it ------------------------------------

const scan = $('#scan');
const gate = $('#gate');

function isControl(el) {
  return el && el !== document.body && el !== scan && el.closest('input, select, textarea, button, a, dialog, [contenteditable]');
}

function refocus() {
  setTimeout(() => {
    if (!isControl(document.activeElement)) scan.focus({ preventScroll: true });
  }, 0);
}

function gateName() {
  return gate.value.trim();
}

// ---- the check-in kit ---------------------------------------------------------

async function applyKit(k, etag, savedAt) {
  kit.key = await importKey(k.public_key);
  kit.revoked = new Set(k.revoked || []);
  kit.attendees = new Map((k.attendees || []).map((a) => [a.id, a]));
  kit.version = k.version || '';
  kit.etag = etag || '';
  kit.savedAt = savedAt || new Date().toISOString();
  kit.tz = (k.event && k.event.venue_tz) || kit.tz;
  document.body.dataset.kit = kit.version || 'loaded';
  renderNet();
}

async function refreshKit() {
  try {
    const headers = kit.etag ? { 'If-None-Match': kit.etag } : {};
    const res = await api('GET', `${base}/checkin-kit`, { headers, raw: true, timeout: 15000 });
    if (res.status === 304) {
      kit.savedAt = new Date().toISOString();
      renderNet();
      await syncClock();
      return;
    }
    if (res.status === 401 || res.status === 403) {
      setNeedLogin(true);
      return;
    }
    if (!res.ok) return;
    const k = await res.json();
    const etag = res.headers.get('ETag') || '';
    await db.saveKit(slug, etag, k);
    await applyKit(k, etag);
    setOnline(true);
    await syncClock();
  } catch (e) {
    if (e instanceof ApiError && e.offline) setOnline(false);
  }
}

// ---- scanning -------------------------------------------------------------------

function uuid() {
  if (globalThis.crypto && crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

/** loginLink returns a kiosk token's login link of this site (the QR code
 * the console shows), or "" for anything else. */
function loginLink(text) {
  let u;
  try {
    u = new URL(text);
  } catch {
    return '';
  }
  return u.origin === location.origin && u.pathname === '/login' && /(^#|&)token=/.test(u.hash) ? u.href : '';
}

async function submit(text) {
  if (meetingMode.on) return meetingMode.scan(text); // a meeting table, not the door
  const ticket = text.trim();
  if (!ticket) return;
  // A scanned kiosk login link switches this kiosk to that token.
  const link = loginLink(ticket);
  if (link) {
    location.assign(link);
    return;
  }
  const g = gateName();
  if (!g) {
    notice(t('kiosk.needGate'));
    gate.focus();
    return;
  }
  const s = { ticket, gate: g, scan_id: uuid(), scanned_at: serverNow().toISOString() };
  let answer = null;
  if (online) {
    try {
      answer = await api('POST', `${base}/checkins`, { body: s, timeout: SCAN_TIMEOUT });
      setOnline(true);
    } catch (e) {
      if (e instanceof ApiError && (e.status === 401 || e.status === 403)) setNeedLogin(true);
      else if (e instanceof ApiError && e.status === 422) {
        notice(e.message);
        return;
      } else if (e instanceof ApiError && (e.offline || e.status >= 500)) setOnline(false);
      answer = null;
    }
  }
  if (answer) {
    if (answer.attendee && answer.result !== 'rejected') {
      await db.remember(slug, answer.attendee.id, answer.first_scanned_at || answer.scanned_at || s.scanned_at, answer.first_gate || g);
    }
    record(s, answer, false);
    refreshSummary();
    if (queueCount > 0) sync();
    return;
  }
  // Offline: decide with the kit, queue for upload.
  const local = await judge(ticket, {
    slug,
    key: kit.key,
    revoked: kit.revoked,
    attendees: kit.attendees,
    seen: (id) => db.seen(slug, id),
  });
  await db.enqueue({ ...s, slug, local: local.result });
  if (local.result === 'checked_in') await db.remember(slug, local.attendee.id, s.scanned_at, g);
  if (!kit.key && local.result === 'rejected') local.reason = 'no_kit';
  record(s, local, true);
  await updateQueue();
  scheduleSync();
}

/** record shows the result, counts it and adds it to the recent list. */
function record(s, a, queued) {
  if (a.result === 'checked_in') counts.ok += 1;
  else if (a.result === 'already_checked_in') counts.already += 1;
  else counts.rejected += 1;
  saveCounts();
  recent.unshift({ scan_id: s.scan_id, at: s.scanned_at, result: a.result, reason: a.reason, name: a.attendee ? a.attendee.name : '', queued });
  recent.length = Math.min(recent.length, 8);
  showResult(a, queued);
  renderCounts();
  renderRecent();
}

function reasonText(reason) {
  const key = `reason.${reason || 'invalid_ticket'}`;
  const s = t(key);
  return s === key ? t('reason.invalid_ticket') : s;
}

function shortReason(reason) {
  const key = `kiosk.reason.${reason || 'invalid_ticket'}`;
  const s = t(key);
  return s === key ? t('kiosk.reason.invalid_ticket') : s;
}

function showResult(a, offline) {
  const box = $('#result');
  const kind = a.result === 'checked_in' ? 'ok' : a.result === 'already_checked_in' ? 'already' : 'rejected';
  box.dataset.result = kind;
  setText($('#result-icon'), kind === 'ok' ? '✓' : kind === 'already' ? '!' : '✕');
  setText($('#result-head'), t(`kiosk.result.${kind}`));
  setText($('#result-name'), a.attendee ? a.attendee.name : '');
  setText($('#result-org'), a.attendee ? [a.attendee.organization, categoryName(a.attendee.category)].filter(Boolean).join(' · ') : '');
  let detail = '';
  if (kind === 'already') {
    detail = t('kiosk.firstScan', { time: hm(a.first_scanned_at, kit.tz || ownZone()), gate: a.first_gate || '–' });
  } else if (kind === 'rejected') {
    detail = a.reason === 'no_kit' ? t('kiosk.noKit') : reasonText(a.reason);
  }
  setText($('#result-detail'), detail);
  $('#result-offline').hidden = !offline;
  box.hidden = false;
  setText($('#result-live'), [t(`kiosk.result.${kind}`), a.attendee ? a.attendee.name : '', detail].filter(Boolean).join('. '));
  cue(a.result);
  clearTimeout(resultTimer);
  resultTimer = setTimeout(hideResult, RESULT_MS);
}

function hideResult() {
  $('#result').hidden = true;
  refocus();
}

function categoryName(c) {
  if (!c) return '';
  const key = `category.${c}`;
  const s = t(key);
  return s === key ? c : s;
}

// ---- the upload queue -------------------------------------------------------------

async function updateQueue() {
  queueCount = await db.countQueued(slug);
  document.body.dataset.queue = String(queueCount);
  renderNet();
}

function scheduleSync(delay) {
  clearTimeout(syncTimer);
  if (queueCount === 0) return;
  const wait = delay ?? Math.floor(Math.random() * Math.min(60000, 2000 * 2 ** syncAttempt));
  syncTimer = setTimeout(sync, wait);
}

/** sync uploads the queue in batches; a failure leaves it queued and
 * retries with backoff. The server answers each scan as it would have
 * then (by scanned_at); scan ids make a repeated upload harmless. */
async function sync() {
  if (syncing) return;
  syncing = true;
  renderNet();
  try {
    for (;;) {
      const items = await db.queued(slug, BATCH);
      if (!items.length) break;
      const scans = items.map(({ ticket, gate: g, scan_id: id, scanned_at: at }) => ({ ticket, gate: g, scan_id: id, scanned_at: at }));
      let out;
      try {
        out = await api('POST', `${base}/checkins/batch`, { body: { scans }, timeout: 20000 });
      } catch (e) {
        if (e instanceof ApiError && (e.status === 422 || e.status === 409) && e.details && Array.isArray(e.details.errors)) {
          // Scans the server can never accept (a device clock far off, a
          // scan id it holds for another ticket): drop them so the rest
          // can go, and say so.
          const bad = e.details.errors.map((p) => items[p.index] && items[p.index].scan_id).filter(Boolean);
          await db.dequeue(bad);
          notice(t('kiosk.dropped', { n: bad.length }));
          continue;
        }
        throw e;
      }
      const results = (out && out.results) || [];
      for (const r of results) {
        if (r.attendee && r.result !== 'rejected') {
          await db.remember(slug, r.attendee.id, r.first_scanned_at || r.scanned_at, r.first_gate || '');
        }
        const entry = recent.find((x) => x.scan_id === r.scan_id);
        if (entry) entry.queued = false;
      }
      await db.dequeue(items.map((x) => x.scan_id));
      setOnline(true);
      setNeedLogin(false);
    }
    syncAttempt = 0;
    $('#kiosk-notice').hidden = true;
  } catch (e) {
    syncAttempt += 1;
    if (e instanceof ApiError && (e.status === 401 || e.status === 403)) setNeedLogin(true);
    else if (e instanceof ApiError && (e.offline || e.status >= 500)) setOnline(false);
  } finally {
    syncing = false;
    await updateQueue();
    renderRecent();
    if (queueCount > 0) scheduleSync();
    else refreshSummary();
  }
}

// ---- status ------------------------------------------------------------------------

function setOnline(v) {
  if (online === v) return;
  online = v;
  renderNet();
  if (v) {
    syncAttempt = 0;
    scheduleSync(0);
    refreshSummary();
    syncClock();
  }
}

function setNeedLogin(v) {
  needLogin = v;
  if (v) notice(t('kiosk.needLogin'));
  renderNet();
}

function notice(text) {
  const el = $('#kiosk-notice');
  el.textContent = text;
  el.hidden = false;
}

function renderNet() {
  const net = $('#net');
  net.dataset.state = online ? (syncing ? 'syncing' : 'online') : 'offline';
  setText($('#net-text'), online ? (syncing ? t('kiosk.syncing') : t('kiosk.online')) : t('kiosk.offline'));
  setText($('#queue-text'), queueCount > 0 ? t('kiosk.queued', { n: queueCount }) : t('kiosk.queueEmpty'));
  $('#sync-now').hidden = queueCount === 0;
  let kitLine = t('kiosk.kitMissing');
  if (kit.key) kitLine = t('kiosk.kitReady', { n: kit.attendees.size, time: hm(kit.savedAt, kit.tz || ownZone()) });
  else if (kit.version) kitLine = t('kiosk.kitNoCrypto');
  setText($('#kit-text'), kitLine);
}

function renderCounts() {
  setText($('#count-ok'), fmtNumber(counts.ok));
  setText($('#count-already'), fmtNumber(counts.already));
  setText($('#count-rejected'), fmtNumber(counts.rejected));
}

function renderRecent() {
  const tz = kit.tz || ownZone();
  $('#recent').replaceChildren(...recent.map((r) => {
    const kind = r.result === 'checked_in' ? 'ok' : r.result === 'already_checked_in' ? 'already' : 'rejected';
    return h('li', { class: `recent-row is-${kind}` },
      h('time', { datetime: r.at }, hm(r.at, tz)),
      h('span', { class: 'recent-who' }, r.name || shortReason(r.reason)),
      h('span', { class: `chip chip-${kind}` }, t(`kiosk.short.${kind}`)),
      r.queued ? h('span', { class: 'recent-queued' }, t('kiosk.waiting')) : null);
  }));
}

async function refreshSummary() {
  if (!online) return;
  try {
    const s = await api('GET', `${base}/checkins/summary`, { timeout: 8000 });
    setText($('#event-in'), fmtNumber(s.checked_in || 0));
    setText($('#event-expected'), fmtNumber(s.expected || 0));
  } catch (e) {
    if (e instanceof ApiError && e.offline) setOnline(false);
  }
}

// ---- camera ----------------------------------------------------------------------
// kiosk-camera.js: BarcodeDetector where the browser has it, the kept
// jsQR decoder elsewhere; a camera that cannot open says why.

let camera = null;

function startCamera() {
  camera.start().finally(refocus);
}

function stopCamera() {
  camera.stop();
  refocus();
}

// ---- wiring -----------------------------------------------------------------------------

async function main() {
  await initLang();
  meetingMode.mount();
  langSwitch($('#lang-switch'));
  onLangChange(() => {
    renderNet();
    renderRecent();
    renderCounts();
  });
  gate.value = store.get('hc.kiosk.gate') || t('kiosk.gateDefault');
  gate.addEventListener('change', () => store.set('hc.kiosk.gate', gateName()));
  $('#gate-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    store.set('hc.kiosk.gate', gateName());
    scan.focus();
  });
  $('#scan-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    unlock();
    const v = scan.value;
    scan.value = '';
    submit(v);
  });
  scan.addEventListener('keydown', (ev) => {
    // Some scanners end with Tab instead of Enter.
    if (ev.key === 'Tab' && scan.value.trim()) {
      ev.preventDefault();
      $('#scan-form').requestSubmit();
    }
  });
  scan.addEventListener('blur', refocus);
  document.addEventListener('click', (ev) => {
    if (!isControl(ev.target)) refocus();
  });
  $('#result').addEventListener('click', () => {
    clearTimeout(resultTimer);
    hideResult();
  });
  $('#keyboard').addEventListener('click', (ev) => {
    const on = scan.getAttribute('inputmode') === 'none';
    scan.setAttribute('inputmode', on ? 'text' : 'none');
    ev.currentTarget.setAttribute('aria-pressed', String(on));
    scan.focus();
  });
  camera = new Camera({
    box: $('#camera-box'),
    video: $('#camera-video'),
    onCode: (v) => {
      unlock();
      return submit(v);
    },
    onProblem: notice,
  });
  $('#camera').hidden = false;
  $('#camera').addEventListener('click', startCamera);
  $('#camera-stop').addEventListener('click', stopCamera);
  $('#sync-now').addEventListener('click', () => {
    syncAttempt = 0;
    sync();
    refocus();
  });
  $('#reset-counts').addEventListener('click', () => {
    counts = { ok: 0, already: 0, rejected: 0 };
    saveCounts();
    renderCounts();
    refocus();
  });
  $('#logout').addEventListener('click', () => logout());
  window.addEventListener('online', () => setOnline(true));
  window.addEventListener('offline', () => setOnline(false));
  window.addEventListener('focus', refocus);

  restoreClock();
  const saved = await db.loadKit(slug);
  if (saved && saved.kit) await applyKit(saved.kit, saved.etag, saved.saved_at);
  renderCounts();
  await updateQueue();
  scan.focus();
  document.body.dataset.ready = 'true';
  await refreshKit();
  refreshSummary();
  if (queueCount > 0) sync();
  setInterval(refreshKit, KIT_EVERY);
  setInterval(() => {
    if (online) refreshSummary();
    else probe();
  }, SUMMARY_EVERY);
  if (!db.durable) notice(t('kiosk.notDurable'));
}

/** probe checks whether the server answers again while offline. */
async function probe() {
  try {
    const res = await fetch('/healthz', { cache: 'no-store' });
    if (res.ok) setOnline(true);
  } catch {
    /* still offline */
  }
}

main();
