// The live state of one event as the viewer page and the console hold it:
// a snapshot, kept current by envelopes of the wire protocol. Durable
// envelopes carry whole objects, so applying one twice is harmless; the
// seq check below still drops duplicates and notices gaps.
//
// Stages come in the snapshot's stages and in stages.updated; what is on
// each is computed here from the sessions and run-of-shows (stages()).
//
// The event, the sessions and the run-of-shows are not in the snapshot:
// it names the event's programme by version (programme), which the client
// fetches once per version (LiveClient, putProgramme) and keeps, so a
// reconnect to the same version fetches nothing.
//
// Run-of-shows arrive slim (docs/api.md "Live updates"): each slot names
// its achievement by achievement_id (a free item carries its own title),
// and the achievements come from the event's catalogue, which the snapshot
// names by version (catalogue) and the client fetches once per version
// (LiveClient, putCatalogue), and from a showcase.updated's achievements
// when the catalogue changed. The state keeps them in a map and gives
// every slot it hands out its achievement, so pages read
// slot.achievement as they would from the REST run-of-show.

/** Results of LiveState.accept. */
export const APPLIED = 'applied';
export const DUPLICATE = 'duplicate';
export const GAP = 'gap'; // a durable envelope is missing: resume with since
export const RESYNC = 'resync'; // another epoch: a fresh snapshot is needed

const ACTIVE = new Set(['live', 'paused']);

export class LiveState {
  constructor() {
    this.catalogue = 0; // bumped whenever the achievement map changes; never reset, so page keys see every change
    // The catalogue last fetched (kept across snapshots: a reconnect to
    // the same version fetches nothing) and the version the snapshot names.
    this.catalogueHave = { version: '', achievements: [] };
    this.catalogueWanted = '';
    // Likewise the programme (event, sessions, run-of-shows), kept as its
    // JSON text so every snapshot starts from fresh objects.
    this.programmeHave = { version: '', text: '' };
    this.programmeWanted = '';
    this.reset();
  }

  /** needsProgramme says whether the snapshot names a programme version
   * the client has not fetched yet. */
  needsProgramme() {
    return Boolean(this.programmeWanted) && this.programmeWanted !== this.programmeHave.version;
  }

  /**
   * putProgramme takes a fetched programme ({version, event, sessions,
   * showcases}) as JSON text, right after the snapshot that named it and
   * before the envelopes that followed it. It may be newer than the
   * snapshot (the server had a newer one): the envelopes after the
   * snapshot carry whole objects, so applying them over it is harmless.
   * It is kept under its own version, so a reconnect to a snapshot that
   * names that version fetches nothing.
   */
  putProgramme(text) {
    const p = parseJSON(text);
    if (!p || !Array.isArray(p.sessions)) return false;
    this.programmeHave = { version: p.version || '', text };
    this.applyProgramme(p);
    return true;
  }

  /** applyProgramme puts a programme's event, sessions and run-of-shows
   * into the state. */
  applyProgramme(p) {
    if (p.event) this.event = p.event;
    for (const s of p.sessions || []) this.sessions.set(s.id, s);
    for (const sc of p.showcases || []) this.putShowcase(sc);
  }

  /** needsCatalogue says whether the snapshot names a catalogue version
   * the client has not fetched yet. */
  needsCatalogue() {
    return Boolean(this.catalogueWanted) && this.catalogueWanted !== this.catalogueHave.version;
  }

  /** putCatalogue takes a fetched catalogue ({version, achievements}) as
   * JSON text; false when it is not one. */
  putCatalogue(text) {
    const c = parseJSON(text);
    if (!c || !Array.isArray(c.achievements)) return false;
    this.catalogueHave = { version: c.version || '', achievements: c.achievements };
    this.putAchievements(c.achievements);
    return true;
  }

  reset() {
    this.event = null;
    this.stageDefs = new Map(); // slug → Stage (slug, name, position, stream_links)
    this.sessions = new Map(); // id → Session
    this.showcases = new Map(); // session id → {session, slots, current, next}
    this.achievements = new Map(); // id → Achievement
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
    this.putStages(d.stages);
    this.catalogueWanted = d.catalogue || '';
    if (this.catalogueWanted && this.catalogueWanted === this.catalogueHave.version) this.putAchievements(this.catalogueHave.achievements);
    this.putAchievements(d.achievements); // servers before the catalogue endpoint sent them here
    // The programme comes by version (servers before it sent its parts here).
    this.programmeWanted = d.sessions ? '' : (d.programme || '');
    if (this.programmeWanted && this.programmeWanted === this.programmeHave.version) this.applyProgramme(JSON.parse(this.programmeHave.text));
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
      case 'announcement.updated': // edited, pinned or unpinned: the whole announcement again
        this.announcements.set(d.id, d);
        break;
      case 'announcement.deleted':
        this.announcements.delete(d.id);
        break;
      case 'event.updated':
        this.event = d;
        break;
      case 'stages.updated':
        this.stageDefs = new Map();
        this.putStages(d.stages);
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

  /**
   * putShowcase stores a run-of-show. It takes both shapes: the live one
   * (session_id, slots naming achievement_id, current and next whole,
   * achievements the client may lack) and the REST one an organizer's
   * action answers with (session, slots with the achievement embedded).
   */
  putShowcase(sc) {
    if (!sc) return;
    const session = sc.session || this.sessions.get(sc.session_id);
    if (!session || !session.id) return;
    this.putAchievements(sc.achievements);
    this.putAchievements((sc.slots || []).map((x) => x.achievement));
    // The live shape's rows carry what a list shows; current and next
    // carry every time, so they stand for their rows.
    const whole = new Map();
    for (const x of [sc.current, sc.next]) if (x) whole.set(x.id, x);
    const slots = (sc.slots || []).map((x) => this.withAchievement(whole.get(x.id) || x))
      .sort((a, b) => a.position - b.position);
    const cur = slots.find((x) => x.state === 'presenting') || null;
    const next = slots.find((x) => x.state === 'pending') || null;
    this.showcases.set(session.id, { session, slots, current: cur, next });
    this.sessions.set(session.id, session);
  }

  /** putStages keeps the stage definitions (the snapshot's stages carry
   * them with their now/next, which this state computes itself). */
  putStages(list) {
    for (const st of list || []) {
      if (!st || !st.slug) continue;
      const { slug, name, position, stream_links: links } = st;
      this.stageDefs.set(slug, { slug, name, position, stream_links: links || {} });
    }
  }

  /** putAchievements adds or replaces achievements in the map and, when
   * one changed, gives every stored slot its current achievement. */
  putAchievements(list) {
    let changed = false;
    for (const a of list || []) {
      if (!a || !a.id) continue;
      const old = this.achievements.get(a.id);
      if (old && JSON.stringify(old) === JSON.stringify(a)) continue;
      this.achievements.set(a.id, a);
      changed = true;
    }
    if (!changed) return;
    this.catalogue++;
    for (const sc of this.showcases.values()) {
      for (const x of sc.slots) x.achievement = this.achievements.get(x.achievement_id) || null;
    }
  }

  /** withAchievement is a copy of slot with its achievement from the map. */
  withAchievement(slot) {
    const { achievement, ...rest } = slot;
    return { ...rest, achievement: this.achievements.get(slot.achievement_id) || achievement || null };
  }

  /** sessionList is the agenda: planned start order, then id. */
  sessionList() {
    return Array.from(this.sessions.values()).sort((a, b) => {
      const d = Date.parse(a.planned_start) - Date.parse(b.planned_start);
      return d || a.id - b.id;
    });
  }

  /**
   * stages says what is on each stage, in the stages' order, as the
   * server's OnStage does (docs/api.md "Stages"): the live or paused
   * session, else the scheduled one expected first; its current and next
   * items; and the scheduled session expected after it (following). Each
   * entry is {stage, def, session, current, next, slots, following}.
   */
  stages() {
    const bySlug = new Map();
    const defs = Array.from(this.stageDefs.values()).sort((a, b) => (a.position - b.position) || (a.slug < b.slug ? -1 : 1));
    for (const def of defs) bySlug.set(def.slug, { stage: def.slug, def, session: null, following: null, sched: [] });
    const startOf = (s) => Date.parse(s.expected_start);
    for (const s of this.sessionList()) {
      let st = bySlug.get(s.stage);
      if (!st) {
        st = { stage: s.stage, def: { slug: s.stage, name: null, position: 1e9, stream_links: {} }, session: null, following: null, sched: [] };
        bySlug.set(s.stage, st);
      }
      if (ACTIVE.has(s.state)) {
        if (!st.session || !ACTIVE.has(st.session.state)) st.session = s;
      } else if (s.state === 'scheduled') {
        st.sched.push(s);
      }
    }
    const out = Array.from(bySlug.values());
    for (const st of out) {
      st.sched.sort((a, b) => (startOf(a) - startOf(b)) || (Date.parse(a.planned_start) - Date.parse(b.planned_start)) || (a.id - b.id));
      if (!st.session) st.session = st.sched.shift() || null;
      else st.sched = st.sched.filter((s) => s.id !== st.session.id);
      st.following = st.sched[0] || null;
      delete st.sched;
      const sc = st.session ? this.showcases.get(st.session.id) : null;
      st.current = sc ? sc.current : null;
      st.next = sc ? sc.next : null;
      st.slots = sc ? sc.slots : [];
    }
    return out;
  }

  /** stageName is a stage's name in the language picked by pick (the
   * slug when the stage has no definition). */
  stageDef(slug) {
    return this.stageDefs.get(slug) || { slug, name: null, position: 1e9, stream_links: {} };
  }

  /** mainShowcase is the run-of-show to list (of one stage, when given):
   * the live or paused one, else the next scheduled, else the last. */
  mainShowcase(stage = '') {
    const all = this.sessionList().filter((s) => !stage || s.stage === stage).map((s) => this.showcases.get(s.id)).filter(Boolean);
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

/** parseJSON is the value of a JSON text, null for anything else (or no
 * text). */
function parseJSON(text) {
  try {
    return JSON.parse(text);
  } catch {
    return null;
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
