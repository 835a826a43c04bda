// The accounts card of the console: everyone changes their own password;
// admins also see the API tokens (revoked in two clicks: Revoke, then
// confirm — for a kiosk token lost at the door), issue new ones (the
// secret is shown once), and disable or enable users. The rules behind
// it are the API's (docs/api.md "Accounts and tokens").

import { $, h } from './dom.js';
import { onLangChange, t } from './i18n.js';
import { api, ApiError } from './api.js';
import { label } from './render.js';
import { dateTime } from './time.js';

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
  return h('tr', { class: u.disabled ? 'muted' : null },
    h('td', null, u.username, u.display_name ? h('span', { class: 'muted' }, ` · ${u.display_name}`) : null),
    h('td', null, label('role.', u.role), u.event ? h('span', { class: 'muted' }, ` · ${u.event}`) : null),
    h('td', null, u.disabled ? t('accounts.disabled') : t('accounts.active')),
    h('td', null, toggle));
}

function table(head, rows, empty) {
  if (!rows.length) return h('p', { class: 'muted' }, empty);
  return h('div', { class: 'table-wrap' }, h('table', { class: 'accounts-table' },
    h('thead', null, h('tr', null, head.map((k) => h('th', { scope: 'col' }, t(k))))),
    h('tbody', null, rows)));
}

function render() {
  if (!admin()) return;
  $('#tokens').replaceChildren(table(['accounts.colToken', 'accounts.colUse', 'console.colActions'],
    tokens.map(tokenRow), t('accounts.noTokens')));
  $('#users').replaceChildren(table(['accounts.colUser', 'accounts.colRole', 'accounts.colState', 'console.colActions'],
    users.map(userRow), t('accounts.noUsers')));
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

async function issueToken(ev) {
  ev.preventDefault();
  const role = $('#token-role').value;
  const body = { name: $('#token-name').value.trim(), role };
  if (role === 'checker') body.event = ui.slug();
  const days = LIFETIMES[$('#token-life').value] || 0;
  if (days) body.expires_at = new Date(Date.now() + days * 86400000).toISOString();
  try {
    const out = await api('POST', '/api/v1/tokens', { body });
    $('#token-secret').replaceChildren(h('p', { class: 'label' }, t('accounts.secretOnce')), h('code', { class: 'secret' }, out.token));
    $('#token-secret').hidden = false;
    $('#token-name').value = '';
  } catch (e) {
    say(e);
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
