// The live connection of a page: a websocket to /ws/events/{slug} that
// resumes with since/epoch, reconnects by itself with full-jitter
// exponential backoff, and falls back to Server-Sent Events when
// websockets fail twice while plain HTTP works (a proxy that blocks them).

import { APPLIED, GAP, RESYNC } from './live-state.js';

const BASE_DELAY = 500; // ms, the first backoff ceiling
const MAX_DELAY = 30000; // ms, the largest backoff ceiling
const WS_FAILURES_FOR_SSE = 2;
const SSE_TYPES = ['snapshot', 'session.updated', 'showcase.updated', 'schedule.shifted', 'announcement.posted',
  'announcement.updated', 'announcement.deleted', 'event.updated', 'attendance', 'presence', 'stages.updated', ...transferTypes()];

/** transferTypes are technology transfer's envelopes (transfer-live.js),
 * spelled so the string check does not take them for interface strings. */
function transferTypes() {
  return [...['approved', 'answered', 'hidden', 'votes'].map((s) => `question.${s}`), 'interest', 'transfer', ['transfer', 'settings'].join('.')];
}

/** Close codes the hub sends (see realtime/config.go). */
const CLOSE_RESTART = 1012;

/**
 * LiveClient keeps state (a LiveState) current. onChange(types) runs after
 * envelopes were applied (types: the set of envelope types); onEnvelope(env)
 * runs for each applied envelope, after state took it (for parts of a page
 * that keep state of their own, like technology transfer); onStatus(s)
 * runs when the connection state changes: s.state is "connecting", "live"
 * or "reconnecting" (with s.retryIn ms and s.attempt), s.transport "ws" or
 * "sse". bell: ask for the "transfer" bell (bell=1), which only the
 * participant, team and organizer pages need.
 */
export class LiveClient {
  constructor({ slug, state, region = '', lang = 'en', bell = false, onChange = () => {}, onEnvelope = () => {}, onStatus = () => {} }) {
    Object.assign(this, { slug, state, region, lang, bell, onChange, onEnvelope, onStatus });
    this.transport = 'ws';
    this.attempt = 0;
    this.wsFailures = 0;
    this.sock = null;
    this.timer = null;
    this.stopped = true;
    this.pending = new Set();
    this.flushQueued = false;
    // While the programme or catalogue a snapshot names is fetched,
    // envelopes wait in queue and nothing is rendered (the agenda or the
    // titles would be missing).
    this.waiting = false;
    this.queue = [];
    this.onOnline = () => {
      if (!this.stopped && !this.connected) this.reconnect(0);
    };
  }

  start() {
    this.stopped = false;
    window.addEventListener('online', this.onOnline);
    this.connect();
  }

  stop() {
    this.stopped = true;
    window.removeEventListener('online', this.onOnline);
    clearTimeout(this.timer);
    this.closeSock();
  }

  /** setRegion reconnects as a viewer of another region (presence). */
  setRegion(region) {
    if (region === this.region) return;
    this.region = region;
    if (!this.stopped) this.reconnect(0);
  }

  url(kind) {
    const q = new URLSearchParams();
    if (this.region) q.set('region', this.region);
    if (this.lang) q.set('lang', this.lang);
    if (this.bell) q.set('bell', '1');
    if (this.state.ready && this.state.epoch) {
      q.set('since', String(this.state.seq));
      q.set('epoch', this.state.epoch);
    }
    const slug = encodeURIComponent(this.slug);
    if (kind === 'sse') return `/api/v1/events/${slug}/stream?${q}`;
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    return `${proto}//${location.host}/ws/events/${slug}?${q}`;
  }

  status(state, extra = {}) {
    this.onStatus({ state, transport: this.transport, attempt: this.attempt, ...extra });
  }

  connect() {
    if (this.stopped) return;
    this.closeSock();
    this.connected = false;
    this.status(this.attempt === 0 ? 'connecting' : 'reconnecting', { retryIn: 0 });
    if (this.transport === 'sse' || typeof WebSocket === 'undefined') {
      this.transport = 'sse';
      this.connectSSE();
    } else {
      this.connectWS();
    }
  }

  connectWS() {
    let ws;
    try {
      ws = new WebSocket(this.url('ws'));
    } catch {
      this.wsFailed();
      return;
    }
    this.sock = ws;
    let opened = false;
    ws.onopen = () => {
      if (this.sock !== ws) return;
      opened = true;
      this.wsFailures = 0;
      this.opened();
    };
    ws.onmessage = (ev) => {
      if (this.sock === ws) this.receive(ev.data);
    };
    ws.onclose = (ev) => {
      if (this.sock !== ws) return;
      this.sock = null;
      this.connected = false;
      clearTimeout(this.steadyTimer);
      if (!opened) {
        this.wsFailed();
        return;
      }
      // 1012: the server is restarting: come back at once (a little
      // jitter spreads thousands of viewers over a quarter second).
      this.reconnect(ev.code === CLOSE_RESTART ? Math.floor(Math.random() * 250) : null);
    };
    ws.onerror = () => { /* onclose follows */ };
  }

  /** wsFailed handles a websocket that closed before its first message:
   * if plain HTTP answers, websockets are blocked on this network (count
   * it; after two, use SSE); if not, the network is down (just back off). */
  async wsFailed() {
    let httpWorks = false;
    try {
      const res = await fetch('/healthz', { cache: 'no-store', credentials: 'same-origin' });
      httpWorks = res.ok;
    } catch {
      httpWorks = false;
    }
    if (this.stopped) return;
    if (httpWorks) {
      this.wsFailures += 1;
      if (this.wsFailures >= WS_FAILURES_FOR_SSE) this.transport = 'sse';
    }
    this.reconnect(null);
  }

  connectSSE() {
    let es;
    try {
      es = new EventSource(this.url('sse'), { withCredentials: false });
    } catch {
      this.reconnect(null);
      return;
    }
    this.sock = es;
    es.onopen = () => {
      if (this.sock === es) this.opened();
    };
    const handler = (ev) => {
      if (this.sock === es) this.receive(ev.data);
    };
    for (const type of SSE_TYPES) es.addEventListener(type, handler);
    es.onerror = () => {
      if (this.sock !== es) return;
      // EventSource would retry by itself, but with the first URL's epoch
      // and without our backoff: take over.
      es.close();
      this.sock = null;
      this.connected = false;
      clearTimeout(this.steadyTimer);
      this.reconnect(null);
    };
  }

  closeSock() {
    const s = this.sock;
    this.sock = null;
    this.queue = []; // not applied: the next connection resumes before them
    if (!s) return;
    try {
      s.close();
    } catch {
      /* already closed */
    }
  }

  /** reconnect schedules the next attempt: after delay ms, or after a
   * full-jitter backoff (random in [0, min(cap, base·2^attempt)]) when
   * delay is null. */
  reconnect(delay) {
    if (this.stopped) return;
    this.closeSock();
    this.connected = false;
    clearTimeout(this.timer);
    let wait = delay;
    if (wait === null) {
      const ceiling = Math.min(MAX_DELAY, BASE_DELAY * 2 ** this.attempt);
      wait = Math.floor(Math.random() * ceiling);
    }
    this.attempt += 1;
    this.status('reconnecting', { retryIn: wait });
    this.timer = setTimeout(() => this.connect(), wait);
  }

  /** opened marks the connection live; the backoff resets once it has
   * stayed up a while (a server that accepts and drops at once must not
   * be hammered). */
  opened() {
    this.connected = true;
    this.status('live');
    clearTimeout(this.steadyTimer);
    this.steadyTimer = setTimeout(() => {
      if (this.connected) this.attempt = 0;
    }, 5000);
  }

  receive(text) {
    if (this.waiting) {
      this.queue.push(text);
      return;
    }
    let env;
    try {
      env = JSON.parse(text);
    } catch {
      return;
    }
    const r = this.state.accept(env);
    if (r === GAP || r === RESYNC) {
      if (r === RESYNC) this.state.ready = false; // ask for a snapshot
      // At once the first time; a server that keeps sending gaps is
      // backed off like any failure.
      this.reconnect(this.attempt === 0 ? 0 : null);
      return;
    }
    if (r === APPLIED) {
      this.onEnvelope(env);
      this.pending.add(env.type);
      if (env.type === 'snapshot' && (this.state.needsCatalogue() || this.state.needsProgramme())) this.loadMissing();
      this.queueFlush();
    }
  }

  /** queueFlush tells onChange about the envelopes applied, once per
   * burst (a backlog after a reconnect renders once). */
  queueFlush() {
    if (this.flushQueued) return;
    this.flushQueued = true;
    queueMicrotask(() => {
      this.flushQueued = false;
      if (this.waiting || !this.pending.size) return; // loadMissing flushes
      const types = this.pending;
      this.pending = new Set();
      this.onChange(types);
    });
  }

  /**
   * loadMissing fetches what the snapshot names by version and the client
   * has not got — the programme (event, sessions, run-of-shows) and the
   * catalogue (achievements) — once per version (the URL names it, so the
   * browser may keep the answer), and holds envelopes and rendering until
   * both are there. If one cannot be fetched, the connection starts over
   * for a fresh snapshot (with backoff): applying the envelopes first and
   * the snapshot's programme later would take the state back in time.
   */
  async loadMissing() {
    this.waiting = true;
    const slug = encodeURIComponent(this.slug);
    const get = async (what, version) => {
      try {
        const res = await fetch(`/api/v1/events/${slug}/${what}?v=${encodeURIComponent(version)}`, { credentials: 'same-origin' });
        return res.ok ? await res.text() : null;
      } catch {
        return null;
      }
    };
    const wantProgramme = this.state.needsProgramme() ? this.state.programmeWanted : '';
    const wantCatalogue = this.state.needsCatalogue() ? this.state.catalogueWanted : '';
    const [programme, catalogue] = await Promise.all([
      wantProgramme ? get('programme', wantProgramme) : '',
      wantCatalogue ? get('catalogue', wantCatalogue) : '',
    ]);
    // Envelopes wait in queue meanwhile, so the versions asked for are
    // still the ones the state wants.
    const programmeOK = !wantProgramme || this.state.putProgramme(programme);
    const catalogueOK = !wantCatalogue || this.state.putCatalogue(catalogue);
    const ok = programmeOK && catalogueOK;
    if (wantProgramme) this.pending.add('programme');
    if (wantCatalogue) this.pending.add('catalogue');
    this.waiting = false;
    if (!ok) {
      if (this.stopped) return;
      this.state.ready = false; // the next connection asks for a snapshot
      this.reconnect(null); // drops the queue
      return;
    }
    const queued = this.queue;
    this.queue = [];
    for (const text of queued) this.receive(text);
    this.queueFlush();
  }
}

/** showStatus shows a LiveClient status (onStatus's s) in a status pill
 * (#conn): its data-state and its text. */
export function showStatus(el, s, t) {
  if (!el) return;
  let key = 'conn.connecting';
  if (s.state === 'live') key = s.transport === 'sse' ? 'conn.liveSSE' : 'conn.live';
  if (s.state === 'reconnecting') key = 'conn.reconnecting';
  el.dataset.state = s.state;
  el.dataset.transport = s.transport;
  const text = el.querySelector('.conn-text');
  if (text && text.textContent !== t(key)) text.textContent = t(key);
}
