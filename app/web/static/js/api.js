// The JSON API from the pages: same-origin fetch with the CSRF header on
// writes, a timeout, and errors as ApiError with the API's code, message
// and details ({"error":{"code","message","details"}}).

import { readCookie } from './dom.js';

/** ApiError is a failed request. status 0 means the network failed (no
 * answer); code is the API's error code, or "network"/"timeout". */
export class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }

  /** offline reports whether no answer came back (network down, timeout). */
  get offline() {
    return this.status === 0;
  }
}

/**
 * api sends a request and returns the decoded JSON body (null for 204).
 * opts: body (encoded as JSON), headers, timeout in ms (default 10 s),
 * raw (return the Response instead of its body, for ETag handling),
 * form (a FormData sent as multipart/form-data, e.g. a CSV file).
 */
export async function api(method, path, opts = {}) {
  const headers = { Accept: 'application/json', ...(opts.headers || {}) };
  const init = { method, headers, credentials: 'same-origin', cache: 'no-store' };
  if (opts.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(opts.body);
  } else if (opts.form !== undefined) {
    init.body = opts.form; // the browser sets the multipart boundary
  }
  if (method !== 'GET' && method !== 'HEAD') {
    const token = readCookie('hc_csrf');
    if (token) headers['X-CSRF-Token'] = token;
  }
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), opts.timeout ?? 10000);
  init.signal = ctl.signal;
  let res;
  try {
    res = await fetch(path, init);
  } catch (e) {
    const timeout = e && e.name === 'AbortError';
    throw new ApiError(0, timeout ? 'timeout' : 'network', timeout ? 'The request timed out' : 'The network is unreachable');
  } finally {
    clearTimeout(timer);
  }
  if (opts.raw) return res;
  if (res.status === 204 || res.status === 304) return null;
  let body = null;
  try {
    body = await res.json();
  } catch {
    body = null;
  }
  if (!res.ok) {
    const e = (body && body.error) || {};
    throw new ApiError(res.status, e.code || `http_${res.status}`, e.message || `HTTP ${res.status}`, e.details);
  }
  return body;
}

/** logout ends the page login and goes to the login page. */
export async function logout() {
  try {
    await api('POST', '/api/v1/auth/logout', { timeout: 5000 });
  } catch {
    // Going to the login page is what matters; the cookie expires anyway.
  }
  location.assign('/login');
}
