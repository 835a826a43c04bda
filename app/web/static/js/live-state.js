// The live state of one event as the viewer page and the console hold it:
// a snapshot, kept current by envelopes of the wire protocol. Durable
// envelopes carry whole objects, so applying one twice is harmless; the
// seq check below still drops duplicates and notices gaps.

/** Results of LiveState.accept. */
export const APPLIED = 'applied';
export const DUPLICATE = 'duplicate';
export const GAP = 'gap'; // a durable envelope is missing: resume with since
export const RESYNC = 'resync'; // another epoch: a fresh snapshot is needed

const ACTIVE = new Set(['live', 'paused']);

export class LiveState {
  constructor() {
    this.reset();
  }

  reset() {
    this.event = null;
    this.sessions = new Map(); // id → Session
    this.showcases = new Map(); // session id → {session, slots, current, next}
    this.announcements = new Map(); // id → Announcement
    this.attendance = null; // {checked_in, expected}
    this.presence = null; // {total, regions:{cn, hu, …}}
    this.seq = 0;
    this.epoch = '';
    this.ready = false;
  }

  /**
   * accept applies one envelope and says what happened. A snapshot
   * replaces everything. A durable envelope must be the next seq of the
   * same epoch; an older one is a duplicate, a later one a gap. Volatile
   * envelopes (seq 0) always apply.
   */
  accept(env) {
    if (!env || typeof env.type !== 'string') return DUPLICATE;
    if (env.type === 'snapshot') {
      this.applySnapshot(env);
      return APPLIED;
    }
    if (env.seq > 0) {
      if (!this.ready || env.epoch !== this.epoch) return RESYNC;
      if (env.seq <= this.seq) return DUPLICATE;
      if (env.seq > this.seq + 1) return GAP;
      this.applyData(env.type, env.data);
      this.seq = env.seq;
      return APPLIED;
    }
    this.applyData(env.type, env.data);
    return APPLIED;
  }

  applySnapshot(env) {
    const d = env.data || {};
    this.reset();
    this.event = d.event || null;
    for (const s of d.sessions || []) this.sessions.set(s.id, s);
    for (const sc of d.showcases || []) this.putShowcase(sc);
    for (const a of d.announcements || []) this.announcements.set(a.id, a);
    this.attendance = d.attendance || null;
    this.presence = normalizePresence(d.presence);
    this.seq = env.seq || 0;
    this.epoch = env.epoch || '';
    this.ready = true;
  }

  applyData(type, d) {
    if (!d) return;
    switch (type) {
      case 'session.updated':
        this.putSession(d);
        break;
      case 'showcase.updated':
        this.putShowcase(d);
        break;
      case 'schedule.shifted':
        for (const s of d.sessions || []) this.putSession(s);
        for (const sc of d.showcases || []) this.putShowcase(sc);
        break;
      case 'announcement.posted':
        this.announcements.set(d.id, d);
        break;
      case 'event.updated':
        this.event = d;
        break;
      case 'attendance':
        this.attendance = d;
        break;
      case 'presence':
        this.presence = normalizePresence(d);
        break;
      default:
        break; // a type this page does not know: ignore
    }
  }

  putSession(s) {
    if (!s || !s.id) return;
    this.sessions.set(s.id, s);
    const sc = this.showcases.get(s.id);
    if (sc) sc.session = s;
  }

  putShowcase(sc) {
    if (!sc || !sc.session) return;
    const slots = (sc.slots || []).slice().sort((a, b) => a.position - b.position);
    const cur = slots.find((x) => x.state === 'presenting') || null;
    const next = slots.find((x) => x.state === 'pending') || null;
    this.showcases.set(sc.session.id, { session: sc.session, slots, current: cur, next });
    this.sessions.set(sc.session.id, sc.session);
  }

  /** sessionList is the agenda: planned start order, then id. */
  sessionList() {
    return Array.from(this.sessions.values()).sort((a, b) => {
      const d = Date.parse(a.planned_start) - Date.parse(b.planned_start);
      return d || a.id - b.id;
    });
  }

  /**
   * stages says what is on each stage, as the server's snapshot does: the
   * live or paused session, else the next scheduled one, with its current
   * and next slots; plus the session that follows it on the stage.
   */
  stages() {
    const out = [];
    const byStage = new Map();
    const list = this.sessionList();
    for (const s of list) {
      let st = byStage.get(s.stage);
      if (!st) {
        st = { stage: s.stage, session: null, following: null };
        byStage.set(s.stage, st);
        out.push(st);
      }
      const active = ACTIVE.has(s.state);
      const curActive = st.session && ACTIVE.has(st.session.state);
      if ((active && !curActive) || (!active && s.state === 'scheduled' && !st.session)) st.session = s;
    }
    for (const st of out) {
      if (!st.session) continue;
      const sc = this.showcases.get(st.session.id);
      st.current = sc ? sc.current : null;
      st.next = sc ? sc.next : null;
      st.slots = sc ? sc.slots : [];
      st.following = list.find((s) => s.stage === st.stage && s.id !== st.session.id && s.state === 'scheduled' &&
        Date.parse(s.expected_start) >= Date.parse(st.session.expected_start)) || null;
    }
    return out;
  }

  /** mainShowcase is the run-of-show to list: the live or paused one, else
   * the next scheduled, else the last. */
  mainShowcase() {
    const all = this.sessionList().map((s) => this.showcases.get(s.id)).filter(Boolean);
    return all.find((sc) => ACTIVE.has(sc.session.state)) ||
      all.find((sc) => sc.session.state === 'scheduled') || all[all.length - 1] || null;
  }

  /** announcementList: pinned first, then newest first. */
  announcementList() {
    return Array.from(this.announcements.values()).sort((a, b) => {
      if (a.pinned !== b.pinned) return a.pinned ? -1 : 1;
      return Date.parse(b.created_at) - Date.parse(a.created_at) || b.id - a.id;
    });
  }
}

/** normalizePresence turns the snapshot's {region: n} and the volatile
 * {total, regions} into the latter. */
export function normalizePresence(p) {
  if (!p) return null;
  if (p.regions && typeof p.regions === 'object') {
    return { total: p.total ?? sum(p.regions), regions: p.regions };
  }
  return { total: sum(p), regions: p };
}

function sum(m) {
  return Object.values(m).reduce((a, b) => a + (Number(b) || 0), 0);
}
