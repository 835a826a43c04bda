// Tickets in the browser: the same strict parse as the server
// (app/ticket.go) and an Ed25519 signature check with WebCrypto, so a
// kiosk with no network still tells a genuine ticket from a forged one.
//
//   HC1.<event-slug>.<attendee-id>.<signature>
//
// signature: Ed25519 over the UTF-8 bytes of "HC1.<slug>.<attendee-id>",
// URL-safe base64 without padding (86 characters).

const VERSION = 'HC1';
const MAX_LEN = 300;
const SLUG_RE = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;
const ATTENDEE_RE = /^[a-z2-7]{26}$/;
const SIG_RE = /^[A-Za-z0-9_-]{86}$/;

/** Rejection reasons, as the API names them. */
export const INVALID = 'invalid_ticket';
export const WRONG_EVENT = 'wrong_event';
export const REVOKED = 'revoked';

/**
 * parseTicket returns {event, attendee, message, sig} for a well-formed
 * ticket text, or null. Like the server it checks the shape only; verify
 * says whether it is genuine.
 */
export function parseTicket(text) {
  const s = String(text || '').trim();
  if (!s || s.length > MAX_LEN) return null;
  const parts = s.split('.');
  if (parts.length !== 4) return null;
  const [version, event, attendee, sig] = parts;
  if (version !== VERSION || !SLUG_RE.test(event) || !ATTENDEE_RE.test(attendee) || !SIG_RE.test(sig)) return null;
  const bytes = fromBase64(sig, true);
  if (!bytes || bytes.length !== 64) return null;
  // Canonical encoding only: the last character may not carry stray bits.
  if (toBase64Url(bytes) !== sig) return null;
  return { event, attendee, message: new TextEncoder().encode(`${version}.${event}.${attendee}`), sig: bytes };
}

/** fromBase64 decodes standard (or, with url, URL-safe) base64, or null. */
export function fromBase64(s, url = false) {
  let b64 = url ? s.replace(/-/g, '+').replace(/_/g, '/') : s;
  while (b64.length % 4) b64 += '=';
  try {
    const bin = atob(b64);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i += 1) out[i] = bin.charCodeAt(i);
    return out;
  } catch {
    return null;
  }
}

function toBase64Url(bytes) {
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/**
 * importKey turns the kit's public key (standard base64, 32 bytes) into a
 * WebCrypto key, or null when the browser has no Ed25519 (the kiosk then
 * needs the network to judge tickets).
 */
export async function importKey(b64) {
  const raw = fromBase64(b64 || '');
  if (!raw || raw.length !== 32 || !globalThis.crypto || !crypto.subtle) return null;
  try {
    return await crypto.subtle.importKey('raw', raw, { name: 'Ed25519' }, false, ['verify']);
  } catch {
    return null;
  }
}

/** verify reports whether the parsed ticket carries a valid signature. */
export async function verify(key, ticket) {
  if (!key || !ticket) return false;
  try {
    return await crypto.subtle.verify({ name: 'Ed25519' }, key, ticket.sig, ticket.message);
  } catch {
    return false;
  }
}

/**
 * judge decides a scan with the kit alone, as the server would for a
 * first scan: {result, reason?, attendee?}. seen(attendeeId) returns this
 * device's first scan of the attendee ({at, gate}) or null.
 */
export async function judge(text, { slug, key, revoked, attendees, seen }) {
  const t = parseTicket(text);
  if (!t) return { result: 'rejected', reason: INVALID };
  if (t.event !== slug) return { result: 'rejected', reason: WRONG_EVENT };
  if (!(await verify(key, t))) return { result: 'rejected', reason: INVALID };
  if (revoked.has(t.attendee)) return { result: 'rejected', reason: REVOKED, attendeeId: t.attendee };
  const who = attendees.get(t.attendee);
  if (!who) return { result: 'rejected', reason: INVALID };
  const first = await seen(t.attendee);
  if (first) {
    return { result: 'already_checked_in', attendee: who, first_scanned_at: first.at, first_gate: first.gate };
  }
  return { result: 'checked_in', attendee: who };
}
