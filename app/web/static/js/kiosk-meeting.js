// The kiosk's "meeting" mode (/e/{slug}/checkin?mode=meeting&table=N): a
// table host at the one-to-one meetings scans the guest's ticket and the
// meeting due at that table now counts as held (POST …/meeting-scans as
// the logged-in door staff). The door's check-in is not touched, and
// nothing is queued offline: a scan the server did not answer is said so
// and can be repeated. The kiosk (kiosk.js) hands every scan here while
// the mode is on.

import { $, h, store } from './dom.js';
import { api } from './api.js';
import { t } from './i18n.js';

const TABLE_KEY = 'hc.kiosk.table';
const params = new URLSearchParams(location.search);

/** meetingMode: on is whether the kiosk scans for meetings; scan(text)
 * records one. */
export const meetingMode = {
  on: params.get('mode') === 'meeting',
  scan,
  mount,
};

/** mount shows the mode's banner: the table number and the last answer. */
function mount() {
  if (!meetingMode.on) return;
  document.body.dataset.mode = 'meeting';
  const table = h('input', { id: 'meeting-table', type: 'number', min: 1, max: 1000, required: true,
    value: params.get('table') || store.get(TABLE_KEY) || '' });
  table.addEventListener('change', () => store.set(TABLE_KEY, table.value));
  const box = h('section', { class: 'meeting-mode notice notice-ok', id: 'meeting-mode', 'aria-live': 'polite' },
    h('p', null, h('b', null, t('transfer.kioskMode')), ' ', h('label', { for: 'meeting-table' }, t('transfer.kioskTable')), ' ', table),
    h('p', { id: 'meeting-result', class: 'meeting-result', dataset: { result: '' } }, t('transfer.scanHint')));
  $('#scan-form').before(box);
}

function say(result, text) {
  const el = $('#meeting-result');
  el.dataset.result = result;
  el.textContent = text;
}

async function scan(text) {
  const ticket = text.trim();
  const table = Number($('#meeting-table').value);
  if (!ticket) return;
  if (!table) {
    say('', t('transfer.kioskNeedTable'));
    $('#meeting-table').focus();
    return;
  }
  const slug = document.body.dataset.slug;
  try {
    const ans = await api('POST', `/api/v1/events/${encodeURIComponent(slug)}/meeting-scans`, { body: { ticket, table } });
    const who = ans.attendee ? `${ans.attendee.name} · ` : '';
    say(ans.result, who + t(ans.result === 'rejected' ? `transfer.scan.${ans.reason}` : `transfer.scan.${ans.result}`));
  } catch (e) {
    say('error', e.message);
  }
}
