// The accounts card of the console: everyone changes their own password;
// admins also see the API tokens with their last use (revoked in two
// clicks: Revoke, then confirm — for a kiosk token lost at the door),
// issue new ones (the secret is shown once; a kiosk token also as a QR
// code of its login link, which the kiosk's camera opens), and create,
// disable, enable and delete users and set their passwords. The rules
// behind it are the API's (docs/api.md "Accounts and tokens").

import { $, h } from './dom.js';
import { onLangChange, t } from './i18n.js';
import { api, ApiError } from './api.js';
import { label } from './render.js';
import { dateTime } from './time.js';
import { clearErrors, showError } from './forms.js';

let ui = null; // {confirmAction, toast, slug, tz}
let tokens = [];
let users = [];
let me = null;

const admin = () => document.body.dataset.role === 'admin';

/** say shows an API failure as a toast. */
function say(e) {
  if (e instanceof ApiError && !e.offline) ui.toast(`${t('console.failed')} ${e.message}`, 'bad');
  else ui.toast(t('console.notSent'), 'bad');
}

const when = (v) => (v ? dateTime(v, ui.tz()) : t('accounts.never'));

function tokenRow(tk) {
  const revoke = h('button', {
    class: 'btn btn-small btn-danger', type: 'button', dataset: { token: String(tk.id) },
    onclick: () => revokeToken(tk),
  }, t('accounts.revoke'));
  const who = [label('role.', tk.role), tk.event].filter(Boolean).join(' · ');
  return h('tr', null,
    h('td', null, h('b', null, tk.name || `#${tk.id}`), h('br'), h('span', { class: 'muted' }, who)),
    h('td', { class: 'small' }, `${t('accounts.colUsed')}: ${when(tk.last_used_at)}`, h('br'),
      `${t('accounts.colExpires')}: ${tk.expires_at ? dateTime(tk.expires_at, ui.tz()) : t('accounts.untilRevoked')}`),
    h('td', null, revoke));
}

function userRow(u) {
  const self = me && me.user_id === u.id;
  const toggle = h('button', {
    class: `btn btn-small${u.disabled ? '' : ' btn-danger'}`, type: 'button', disabled: self,
    onclick: () => setDisabled(u, !u.disabled),
  }, u.disabled ? t('accounts.enable') : t('accounts.disable'));
  const reset = h('button', {
    class: 'btn btn-small', type: 'button', disabled: self, dataset: { user: u.username },
    onclick: (ev) => resetForm(u, ev.currentTarget.closest('td')),
  }, t('accounts.setPassword'));
  const del = h('button', {
    class: 'btn btn-small btn-danger', type: 'button', disabled: self,
    onclick: () => deleteUser(u),
  }, t('accounts.delete'));
  return h('tr', { class: u.disabled ? 'muted' : null, dataset: { user: u.username } },
    h('td', null, u.username, u.display_name ? h('span', { class: 'muted' }, ` · ${u.display_name}`) : null),
    h('td', null, label('role.', u.role), u.event ? h('span', { class: 'muted' }, ` · ${u.event}`) : null),
    h('td', null, u.disabled ? t('accounts.disabled') : t('accounts.active')),
    h('td', { class: 'row-actions' }, toggle, reset, del));
}

/** resetForm swaps a user's actions for a form that sets their password. */
function resetForm(u, cell) {
  const input = h('input', { name: 'password', type: 'password', autocomplete: 'new-password', minlength: 10, maxlength: 128, required: true,
    'aria-label': t('accounts.newPasswordFor', { name: u.username }) });
  const form = h('form', { class: 'inline-form' }, input,
    h('button', { class: 'btn btn-small btn-primary', type: 'submit' }, t('accounts.save')),
    h('button', { class: 'btn btn-small', type: 'button', onclick: render }, t('common.cancel')));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      await api('PATCH', `/api/v1/users/${u.id}`, { body: { password: input.value } });
      ui.toast(t('accounts.passwordSet', { name: u.username }), 'ok');
      await load();
    } catch (e) {
      if (!showError(form, e)) say(e);
    }
  });
  cell.replaceChildren(form);
  input.focus();
}

async function deleteUser(u) {
  const ok = await ui.confirmAction({
    title: t('accounts.deleteTitle', { name: u.username }), text: t('accounts.deleteText'), ok: t('accounts.delete'), danger: true,
  });
  if (!ok) return;
  try {
    await api('DELETE', `/api/v1/users/${u.id}`);
    ui.toast(t('accounts.deleted', { name: u.username }), 'ok');
  } catch (e) {
    if (!(e instanceof ApiError && e.status === 404)) say(e);
  }
  await load();
}

/** createUser adds a user from the form under the users table. */
async function createUser(ev) {
  ev.preventDefault();
  const form = ev.currentTarget;
  const f = form.elements;
  const body = { username: f.username.value.trim(), password: f.password.value, role: f.role.value };
  if (f.display_name.value.trim()) body.display_name = f.display_name.value.trim();
  if (body.role === 'checker') body.event = ui.slug();
  clearErrors(form);
  try {
    await api('POST', '/api/v1/users', { body });
    ui.toast(t('accounts.userCreated', { name: body.username }), 'ok');
    form.reset();
    await load();
  } catch (e) {
    if (!showError(form, e)) say(e);
  }
}

function userForm() {
  const form = h('form', { id: 'user-form', class: 'token-form' },
    h('label', { class: 'field' }, h('span', null, t('accounts.colUser')),
      h('input', { name: 'username', type: 'text', maxlength: 64, required: true, autocomplete: 'off', autocapitalize: 'none', spellcheck: 'false' })),
    h('label', { class: 'field' }, h('span', null, t('accounts.displayName')), h('input', { name: 'display_name', type: 'text', maxlength: 100 })),
    h('label', { class: 'field' }, h('span', null, t('accounts.colRole')),
      h('select', { name: 'role' }, ['organizer', 'checker', 'admin'].map((r) => h('option', { value: r }, label('role.', r))))),
    h('label', { class: 'field' }, h('span', null, t('accounts.password')),
      h('input', { name: 'password', type: 'password', autocomplete: 'new-password', minlength: 10, maxlength: 128, required: true })),
    h('p', { class: 'form-error', role: 'alert' }),
    h('button', { class: 'btn', type: 'submit' }, t('accounts.createUser')));
  form.addEventListener('submit', createUser);
  return form;
}

function table(head, rows, empty) {
  if (!rows.length) return h('p', { class: 'muted' }, empty);
  return h('div', { class: 'table-wrap' }, h('table', { class: 'accounts-table' },
    h('thead', null, h('tr', null, head.map((k) => h('th', { scope: 'col' }, t(k))))),
    h('tbody', null, rows)));
}

const PAGE = 20;
const pages = { tokens: 0, users: 0 };

/** paged is one page of list with previous / next when there are more. */
function paged(name, list, build) {
  const last = Math.max(0, Math.ceil(list.length / PAGE) - 1);
  const page = Math.min(pages[name], last);
  pages[name] = page;
  const rows = list.slice(page * PAGE, page * PAGE + PAGE).map(build);
  if (!last) return [rows, null];
  const go = (n) => { pages[name] = n; render(); };
  return [rows, h('nav', { class: 'setup-pager', 'aria-label': t('setup.pages') },
    h('button', { class: 'btn btn-small', type: 'button', disabled: page === 0, onclick: () => go(page - 1) }, t('setup.prev')),
    h('span', { class: 'small' }, t('setup.pageOf', { page: page + 1, pages: last + 1, n: list.length })),
    h('button', { class: 'btn btn-small', type: 'button', disabled: page === last, onclick: () => go(page + 1) }, t('setup.next')))];
}

function render() {
  if (!admin()) return;
  const [tokenRows, tokenPager] = paged('tokens', tokens, tokenRow);
  $('#tokens').replaceChildren(table(['accounts.colToken', 'accounts.colUse', 'console.colActions'],
    tokenRows, t('accounts.noTokens')), tokenPager || '');
  const [userRows, userPager] = paged('users', users, userRow);
  $('#users').replaceChildren(table(['accounts.colUser', 'accounts.colRole', 'accounts.colState', 'console.colActions'],
    userRows, t('accounts.noUsers')), userPager || '');
  if (!$('#user-form')) $('#users').after(userForm());
}

async function load() {
  if (!admin()) return;
  try {
    const [tk, us] = await Promise.all([api('GET', '/api/v1/tokens'), api('GET', '/api/v1/users')]);
    tokens = tk.tokens || [];
    users = us.users || [];
    render();
  } catch (e) {
    say(e);
  }
}

async function revokeToken(tk) {
  const ok = await ui.confirmAction({
    title: t('accounts.revokeTitle', { name: tk.name || `#${tk.id}` }),
    text: t('accounts.revokeText'), ok: t('accounts.revoke'), danger: true,
  });
  if (!ok) return;
  try {
    await api('DELETE', `/api/v1/tokens/${tk.id}`);
    ui.toast(t('accounts.revoked', { name: tk.name || `#${tk.id}` }), 'ok');
  } catch (e) {
    if (!(e instanceof ApiError && e.status === 404)) say(e);
  }
  await load();
}

async function setDisabled(u, disabled) {
  if (disabled) {
    const ok = await ui.confirmAction({
      title: t('accounts.disableTitle', { name: u.username }), text: t('accounts.disableText'), ok: t('accounts.disable'), danger: true,
    });
    if (!ok) return;
  }
  try {
    await api('PATCH', `/api/v1/users/${u.id}`, { body: { disabled } });
  } catch (e) {
    say(e);
  }
  await load();
}

const LIFETIMES = { '': 0, '1d': 1, '7d': 7, '30d': 30 };

/**
 * kioskLink is the login link of a kiosk token: the login page takes the
 * token from the fragment (never sent to the server or kept in its logs
 * or the browser history), makes it the kiosk's login, and opens the
 * event's check-in page.
 */
export function kioskLink(secret, event) {
  const next = `/e/${encodeURIComponent(event)}/checkin`;
  return `${location.origin}/login?next=${encodeURIComponent(next)}#token=${encodeURIComponent(secret)}`;
}

/** dataURL reads a blob as a data: URL (the pages' CSP allows no blob: images). */
function dataURL(blob) {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(r.result);
    r.onerror = () => reject(r.error);
    r.readAsDataURL(blob);
  });
}

/** kioskQR shows the QR code of a new kiosk token's login link. */
async function kioskQR(out) {
  const link = kioskLink(out.token, out.event);
  const box = h('div', { class: 'kiosk-qr', id: 'kiosk-qr' },
    h('p', { class: 'label' }, t('accounts.kioskScan', { event: out.event })));
  $('#token-secret').append(box);
  try {
    const res = await api('POST', '/api/v1/qr', { body: { text: link }, raw: true });
    if (!res.ok) throw new ApiError(res.status, `http_${res.status}`, `HTTP ${res.status}`);
    const img = h('img', { src: await dataURL(await res.blob()), alt: t('accounts.kioskQRAlt', { name: out.name }), width: 256, height: 256 });
    box.append(img, h('p', { class: 'small' }, h('a', { href: link, class: 'kiosk-link', rel: 'noreferrer' }, t('accounts.kioskLink'))));
  } catch (e) {
    say(e);
  }
}

async function issueToken(ev) {
  ev.preventDefault();
  const form = $('#token-form');
  const role = $('#token-role').value;
  const body = { name: $('#token-name').value.trim(), role };
  if (role === 'checker') body.event = ui.slug();
  const days = LIFETIMES[$('#token-life').value] || 0;
  if (days) body.expires_at = new Date(Date.now() + days * 86400000).toISOString();
  clearErrors(form);
  try {
    const out = await api('POST', '/api/v1/tokens', { body });
    $('#token-secret').replaceChildren(h('p', { class: 'label' }, t('accounts.secretOnce')), h('code', { class: 'secret' }, out.token));
    $('#token-secret').hidden = false;
    $('#token-name').value = '';
    if (out.role === 'checker' && out.event) kioskQR(out);
  } catch (e) {
    if (!showError(form, e)) say(e);
  }
  await load();
}

async function changePassword(ev) {
  ev.preventDefault();
  const err = $('#password-error');
  err.textContent = '';
  if (!me || !me.user_id) {
    err.textContent = t('accounts.noAccount');
    return;
  }
  try {
    await api('PATCH', `/api/v1/users/${me.user_id}`, { body: { current_password: $('#pw-current').value, password: $('#pw-new').value } });
    $('#pw-current').value = '';
    $('#pw-new').value = '';
    ui.toast(t('accounts.passwordChanged'), 'ok');
  } catch (e) {
    if (e instanceof ApiError && !e.offline) err.textContent = e.status === 403 ? t('accounts.wrongPassword') : e.message;
    else say(e);
  }
}

/** initAccounts wires the card. deps: confirmAction and toast from the
 * console, slug() the console's event, tz() the time zone for times. */
export async function initAccounts(deps) {
  ui = deps;
  $('#password-form').addEventListener('submit', changePassword);
  try {
    me = await api('GET', '/api/v1/auth/me');
  } catch {
    me = null;
  }
  if (!admin()) return;
  $('#accounts-admin').hidden = false;
  $('#token-form').addEventListener('submit', issueToken);
  onLangChange(render);
  await load();
}
