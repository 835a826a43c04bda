// Durable storage of the kiosk, in IndexedDB: the queue of scans not yet
// uploaded, the attendees this device let in (to answer "already checked
// in" offline), and the last check-in kit. When IndexedDB is unavailable
// (a private window in some browsers) it keeps the same data in memory
// and says so (durable === false).

const DB_NAME = 'hybridcon-kiosk';
const DB_VERSION = 1;

let dbp = null;
const memory = { queue: new Map(), seen: new Map(), kit: new Map() };

/** durable reports whether scans survive a reload (IndexedDB works). */
export let durable = true;

function open() {
  if (dbp) return dbp;
  dbp = new Promise((resolve) => {
    if (!globalThis.indexedDB) {
      durable = false;
      resolve(null);
      return;
    }
    let req;
    try {
      req = indexedDB.open(DB_NAME, DB_VERSION);
    } catch {
      durable = false;
      resolve(null);
      return;
    }
    req.onupgradeneeded = () => {
      const db = req.result;
      const q = db.createObjectStore('queue', { keyPath: 'scan_id' });
      q.createIndex('slug', 'slug');
      db.createObjectStore('seen', { keyPath: 'key' });
      db.createObjectStore('kit', { keyPath: 'slug' });
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => {
      durable = false;
      resolve(null);
    };
    req.onblocked = () => {
      durable = false;
      resolve(null);
    };
  });
  return dbp;
}

/** tx runs fn(store) in a transaction and resolves with fn's request
 * result when the transaction completes. */
async function tx(storeName, mode, fn) {
  const db = await open();
  if (!db) return fn(null);
  return new Promise((resolve, reject) => {
    const t = db.transaction(storeName, mode);
    const req = fn(t.objectStore(storeName));
    t.oncomplete = () => resolve(req ? req.result : undefined);
    t.onerror = () => reject(t.error);
    t.onabort = () => reject(t.error);
  });
}

/** enqueue stores a scan to upload: {scan_id, slug, ticket, gate, scanned_at, local}. */
export async function enqueue(scan) {
  await tx('queue', 'readwrite', (s) => (s ? s.put(scan) : memory.queue.set(scan.scan_id, scan) && null));
}

/** queued returns the event's queued scans, oldest first. */
export async function queued(slug, limit = 1000) {
  const all = await tx('queue', 'readonly', (s) => (s ? s.index('slug').getAll(slug) : null));
  const list = all || Array.from(memory.queue.values()).filter((x) => x.slug === slug);
  list.sort((a, b) => (a.scanned_at < b.scanned_at ? -1 : a.scanned_at > b.scanned_at ? 1 : 0));
  return list.slice(0, limit);
}

/** countQueued is the number of the event's queued scans. */
export async function countQueued(slug) {
  const n = await tx('queue', 'readonly', (s) => (s ? s.index('slug').count(slug) : null));
  if (typeof n === 'number') return n;
  return Array.from(memory.queue.values()).filter((x) => x.slug === slug).length;
}

/** dequeue removes uploaded scans. */
export async function dequeue(ids) {
  await tx('queue', 'readwrite', (s) => {
    for (const id of ids) {
      if (s) s.delete(id);
      else memory.queue.delete(id);
    }
    return null;
  });
}

/** seen returns this device's record of the attendee's first check-in
 * ({at, gate}), or null. */
export async function seen(slug, attendee) {
  const key = `${slug}|${attendee}`;
  const v = await tx('seen', 'readonly', (s) => (s ? s.get(key) : null));
  return v || memory.seen.get(key) || null;
}

/** remember records an attendee's first check-in unless an earlier one is
 * known. */
export async function remember(slug, attendee, at, gate) {
  const prev = await seen(slug, attendee);
  if (prev && prev.at <= at) return;
  const v = { key: `${slug}|${attendee}`, slug, attendee, at, gate };
  await tx('seen', 'readwrite', (s) => (s ? s.put(v) : memory.seen.set(v.key, v) && null));
}

/** saveKit keeps the event's check-in kit and its ETag. */
export async function saveKit(slug, etag, kit) {
  const v = { slug, etag, kit, saved_at: new Date().toISOString() };
  await tx('kit', 'readwrite', (s) => (s ? s.put(v) : memory.kit.set(slug, v) && null));
}

/** loadKit returns {etag, kit, saved_at} or null. */
export async function loadKit(slug) {
  const v = await tx('kit', 'readonly', (s) => (s ? s.get(slug) : null));
  return v || memory.kit.get(slug) || null;
}
