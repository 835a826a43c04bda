// The login page: posts the user name and password to the API (which sets
// the hc_session and hc_csrf cookies) and returns to ?next= when it is a
// path on this site, else to the page of the user's role. A kiosk's QR
// code opens it with #token=<checker token>: that token becomes the
// login instead (the fragment is dropped from the address at once).

import { $, h } from './dom.js';
import { initLang, langSwitch, t } from './i18n.js';
import { api, ApiError, logout } from './api.js';

/** safeNext mirrors the server's check: a same-site path only. */
export function safeNext(next) {
  if (!next || next.length > 2000 || next[0] !== '/' || next.startsWith('//') || next.startsWith('/\\')) return '';
  if (/[\u0000-\u001f\u007f\\]/.test(next)) return '';
  let u;
  try {
    u = new URL(next, location.origin);
  } catch {
    return '';
  }
  if (u.origin !== location.origin) return '';
  if (/^\/(api|ws|static)\//.test(u.pathname) || u.pathname === '/login') return '';
  return u.pathname + u.search + u.hash;
}

function home(me) {
  if (me.role === 'checker' && me.event) return `/e/${encodeURIComponent(me.event)}/checkin`;
  return '/console';
}

async function showSignedIn(form, me, next) {
  const box = h('div', { class: 'notice notice-info', id: 'signed-in' },
    h('span', null, t('login.signedInAs', { name: me.name })));
  const actions = h('p', { class: 'event-links' },
    h('a', { class: 'btn btn-primary', href: next || home(me) }, t('login.continue')),
    h('button', { class: 'btn', type: 'button', onclick: () => logout() }, t('common.logout')));
  form.querySelector('h1').after(box, actions);
}

/** fragmentToken takes a token from #token=… and drops the fragment. */
function fragmentToken() {
  const token = new URLSearchParams(location.hash.slice(1)).get('token') || '';
  if (location.hash) history.replaceState(null, '', location.pathname + location.search);
  return token.trim();
}

/** tokenLogin makes a kiosk token the login; true when it went on. */
async function tokenLogin(token, next, err) {
  try {
    const me = await api('POST', '/api/v1/auth/token', { body: { token } });
    location.assign(next || home(me));
    return true;
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) err.textContent = t('login.tokenRefused');
    else if (e instanceof ApiError && e.status === 403) err.textContent = t('login.tokenNotKiosk');
    else if (e instanceof ApiError && e.offline) err.textContent = t('common.offline');
    else err.textContent = t('login.failed');
    return false;
  }
}

async function main() {
  await initLang();
  langSwitch($('#lang-switch'));
  const form = $('#login-form');
  const next = safeNext(form.dataset.next || new URLSearchParams(location.search).get('next') || '');
  const err = $('#login-error');
  const btn = $('#login-submit');
  const token = fragmentToken();
  if (token && await tokenLogin(token, next, err)) return;
  try {
    const me = await api('GET', '/api/v1/auth/me', { timeout: 5000 });
    if (me && me.role) showSignedIn(form, me, next);
  } catch {
    // not logged in: the form is what the reader needs
  }
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    err.textContent = '';
    const username = $('#username').value.trim();
    const password = $('#password').value;
    if (!username || !password) {
      err.textContent = t('login.missing');
      (username ? $('#password') : $('#username')).focus();
      return;
    }
    btn.disabled = true;
    try {
      await api('POST', '/api/v1/auth/login', { body: { username, password } });
      const me = await api('GET', '/api/v1/auth/me');
      location.assign(next || home(me));
    } catch (e) {
      btn.disabled = false;
      if (e instanceof ApiError && e.status === 401) err.textContent = t('login.wrong');
      else if (e instanceof ApiError && e.offline) err.textContent = t('common.offline');
      else err.textContent = t('login.failed');
      $('#password').select();
    }
  });
}

main();
