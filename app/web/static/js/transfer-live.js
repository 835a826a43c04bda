// Technology transfer on the live pages: the approved questions to the
// items on stage (most votes first, named by stage and item when several
// stages present), a box to ask one, votes, interest counts per
// achievement and, for a participant, the interest form. Mounted by the
// live page (/e/{slug}, its stage pages and hall screens, which show the
// questions only) and by the presenter timer (the questions of its stage).
//
// It keeps its own state from the live envelopes LiveClient hands it
// (onEnvelope): the snapshot's transfer part, question.approved /
// answered / hidden, question.votes, interest and transfer.settings. A
// question.hidden removes the question at once, whatever came before it.
//
// A participant is whoever holds a ticket: the personal page links here
// with #ticket=<ticket> (a fragment never reaches a server's logs); the
// page keeps it in this browser and sends it as "Authorization: Ticket …".
// Without one, a viewer asks and votes anonymously when the organizers
// allow it, voting with a voter id drawn for this connection.

import { api } from './api.js';
import { $, h, keyed, store } from './dom.js';
import { currentLang, fmtNumber, onLangChange, pick, t } from './i18n.js';
import { stageName } from './programme.js';
import { slotTitle } from './render.js';

const PURPOSES = ['licensing', 'investment', 'joint_research', 'pilot_customer'];
const MAX_QUESTION = 300;
const MAX_NOTE = 500;
const VISIBLE = new Set(['approved', 'answered']);

/** voterID is this connection's anonymous voter id (8–64 of A–Z a–z 0–9 _ -). */
function voterID() {
  const b = new Uint8Array(12);
  crypto.getRandomValues(b);
  return `v${Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')}`;
}

/** ticketFrom reads a ticket from a pasted personal link (…/p/<ticket>)
 * or the ticket text itself. */
export function ticketFrom(text) {
  const s = (text || '').trim();
  const m = s.match(/\/p\/([^/?#\s]+)/);
  return m ? decodeURIComponent(m[1]) : s;
}

/**
 * mountTransfer draws technology transfer into box. opts: slug, state (the
 * page's LiveState), mode ("live", "screen" or "timer"), stage (only this
 * stage's items; "" for all). It returns {accept(env), render()}: give it
 * every applied envelope.
 */
export function mountTransfer({ slug, state, box, mode = 'live', stage = '', emptyKey = 'transfer.noQuestions' }) {
  const x = {
    questions: new Map(), // id → visible question
    counts: {}, // achievement id → interests
    settings: { anonymous_questions: false, anonymous_votes: false },
    voted: new Set(), // question ids voted on from this page
    voter: voterID(),
    ticket: '',
    me: null, // the participant's own data (GET my-data) once the ticket is known
    notice: null,
  };
  const key = `hc.ticket.${slug}`;
  const evPath = (rest) => `/api/v1/events/${encodeURIComponent(slug)}${rest}`;
  const interactive = mode === 'live';

  const call = (method, path, body) => api(method, path, { body, headers: x.ticket ? { Authorization: `Ticket ${x.ticket}` } : {} });

  // ---- state ---------------------------------------------------------------

  function accept(env) {
    const d = env.data || {};
    switch (env.type) {
      case 'snapshot':
        x.questions = new Map();
        if (d.transfer) {
          for (const q of d.transfer.questions || []) x.questions.set(q.id, q);
          x.counts = d.transfer.interest || {};
          if (d.transfer.settings) x.settings = d.transfer.settings;
        }
        break;
      case 'question.approved':
      case 'question.answered':
      case 'question.hidden':
        if (VISIBLE.has(d.state) && d.text) x.questions.set(d.id, d);
        else x.questions.delete(d.id);
        break;
      case 'question.votes':
        for (const [id, n] of Object.entries(d.votes || {})) {
          const q = x.questions.get(Number(id));
          if (q) q.votes = n;
        }
        break;
      case 'interest':
        x.counts = d.counts || {};
        break;
      case 'transfer.settings':
        x.settings = d;
        break;
      default:
        break;
    }
    schedule();
  }

  let queued = false;
  function schedule() {
    if (queued) return;
    queued = true;
    queueMicrotask(() => {
      queued = false;
      render();
    });
  }

  /** onStage lists the items presenting now on the page's stages:
   * {slot, stage, label}. */
  function onStage() {
    const many = !stage && state.stageDefs.size > 1;
    return state.stages().filter((st) => (!stage || st.stage === stage) && st.current && st.current.state === 'presenting')
      .map((st) => ({ slot: st.current, stage: st.stage, label: many ? `${stageName(st)} · ${slotTitle(st.current)}` : slotTitle(st.current) }));
  }

  /** pastItems are the items presented so far on the page's stages (for
   * interest), newest first. */
  function pastItems() {
    const out = [];
    for (const sc of state.showcases.values()) {
      if (stage && sc.session.stage !== stage) continue;
      for (const sl of sc.slots) if (sl.achievement_id && sl.state === 'done') out.push(sl);
    }
    return out.sort((a, b) => Date.parse(b.actual_end || b.expected_end) - Date.parse(a.actual_end || a.expected_end));
  }

  // ---- drawing -------------------------------------------------------------

  function questionItem(q, canVote) {
    const votes = h('span', { class: 'q-votes', dataset: { votes: q.votes } }, t('transfer.votes', { n: fmtNumber(q.votes) }));
    const voteBtn = canVote && q.state === 'approved'
      ? h('button', { class: 'btn btn-small q-vote', type: 'button', disabled: x.voted.has(q.id), onclick: () => vote(q.id) }, '▲')
      : null;
    return h('li', { class: `q is-${q.state}`, dataset: { question: q.id, slot: q.slot_id } },
      voteBtn, h('span', { class: 'q-text', lang: q.lang || null }, q.text), votes,
      q.state === 'answered' ? h('span', { class: 'chip chip-answered' }, t('transfer.state.answered')) : null);
  }

  function sorted(list) {
    return list.sort((a, b) => (b.votes - a.votes) || (a.id - b.id));
  }

  function renderQuestions(target, items) {
    const canVote = interactive && (x.ticket || x.settings.anonymous_votes);
    const groups = items.map((it) => ({ it, qs: sorted([...x.questions.values()].filter((q) => q.slot_id === it.slot.id)) }));
    const sig = [currentLang(), canVote, [...x.voted].join(','), groups.map((g) => `${g.it.slot.id}:${g.it.label}:${g.qs.map((q) => `${q.id}.${q.votes}.${q.state}`).join(',')}`).join('/')].join('#');
    keyed(target, sig, () => {
      if (!groups.length) return h('p', { class: 'muted q-empty' }, t('transfer.nothingOnStage'));
      return groups.map((g) => h('section', { class: 'q-group', dataset: { slot: g.it.slot.id, stage: g.it.stage } },
        groups.length > 1 || mode !== 'timer' ? h('h3', { class: 'q-for' }, g.it.label) : null,
        g.qs.length ? h('ol', { class: 'q-list' }, g.qs.map((q) => questionItem(q, canVote)))
          : h('p', { class: 'muted q-empty' }, t(emptyKey))));
    });
  }

  function countLine(achievementID) {
    const n = x.counts[achievementID] || 0;
    return h('span', { class: 'chip count', dataset: { achievement: achievementID, count: n } }, t('transfer.interestCount', { n: fmtNumber(n) }));
  }

  function renderCounts(target, items) {
    const sig = [currentLang(), items.map((it) => `${it.slot.achievement_id}:${x.counts[it.slot.achievement_id] || 0}:${it.label}`).join(',')].join('#');
    keyed(target, sig, () => items.filter((it) => it.slot.achievement_id).map((it) => h('p', { class: 'x-count' },
      h('span', { class: 'x-count-what' }, it.label), ' ', countLine(it.slot.achievement_id))));
  }

  function renderAsk(items) {
    const form = $('#x-ask', box);
    const can = !!x.ticket || x.settings.anonymous_questions;
    form.hidden = !items.length;
    $('#x-ask-closed', box).hidden = !items.length || can;
    $('fieldset', form).disabled = !can;
    const sel = $('#x-ask-slot', form);
    const keep = sel.value;
    keyed(sel, `${currentLang()}#${items.map((it) => `${it.slot.id}:${it.label}`).join(',')}`, () =>
      items.map((it) => h('option', { value: it.slot.id, selected: String(it.slot.id) === keep }, it.label)));
    sel.closest('label').hidden = items.length < 2;
  }

  function renderInterest(items) {
    const form = $('#x-interest', box);
    const choices = [...items.map((it) => it.slot).filter((s) => s.achievement_id), ...pastItems()];
    const seen = new Set();
    const uniq = choices.filter((s) => !seen.has(s.achievement_id) && seen.add(s.achievement_id));
    form.hidden = !uniq.length;
    $('#x-interest-closed', box).hidden = !uniq.length || !!x.ticket;
    $('fieldset', form).disabled = !x.ticket;
    const sel = $('#x-interest-what', form);
    const keep = sel.value;
    keyed(sel, `${currentLang()}#${state.catalogue}#${uniq.map((s) => `${s.achievement_id}:${x.counts[s.achievement_id] || 0}`).join(',')}`, () =>
      uniq.map((s) => h('option', { value: `${s.achievement_id}:${s.state === 'presenting' ? s.id : 0}`, selected: `${s.achievement_id}` === keep.split(':')[0] },
        `${slotTitle(s)} (${t('transfer.interestCount', { n: fmtNumber(x.counts[s.achievement_id] || 0) })})`)));
  }

  let built = ''; // the language the markup was built in

  function render() {
    if (!state.ready) return;
    if (mode !== 'timer' && built !== currentLang()) build();
    const items = onStage();
    if (mode === 'timer') {
      const empty = $('.timer-questions-empty', box);
      if (empty) empty.remove();
      renderQuestions(questionsBox(), items);
      return;
    }
    box.hidden = false;
    renderQuestions($('#x-questions', box), items);
    renderCounts($('#x-counts', box), items);
    if (!interactive) return;
    renderAsk(items);
    renderInterest(items);
    $('#x-who', box).textContent = x.me ? t('transfer.liveAs', { name: x.me.name || '' }) : t('transfer.liveAnon');
    $('#x-forget', box).hidden = !x.ticket;
  }

  function questionsBox() {
    let el = $('.q-box', box);
    if (!el) {
      el = h('div', { class: 'q-box', 'aria-live': 'polite' });
      box.append(el);
    }
    return el;
  }

  // ---- actions -------------------------------------------------------------

  function say(text, bad = false) {
    const el = $('#x-notice', box);
    el.hidden = false;
    el.className = bad ? 'notice notice-bad' : 'notice notice-ok';
    el.textContent = text;
  }

  async function vote(id) {
    try {
      const out = await call('POST', `/api/v1/questions/${id}/vote`, x.ticket ? {} : { voter: x.voter });
      x.voted.add(id);
      const q = x.questions.get(id);
      if (q) q.votes = out.votes;
      render();
    } catch (e) {
      say(e.message, true);
    }
  }

  async function ask(e) {
    e.preventDefault();
    const text = $('#x-ask-text', box).value.trim();
    if (!text) return;
    try {
      await call('POST', evPath('/questions'), { slot_id: Number($('#x-ask-slot', box).value) || 0, text, lang: currentLang(), voter: x.ticket ? '' : x.voter });
      $('#x-ask-text', box).value = '';
      updateLeft();
      say(t('transfer.questionSent'));
    } catch (err) {
      say(err.message, true);
    }
  }

  async function markInterest(e) {
    e.preventDefault();
    const [achievement, slot] = $('#x-interest-what', box).value.split(':').map(Number);
    try {
      await call('POST', evPath('/interests'), { achievement_id: achievement, slot_id: slot, purpose: $('#x-interest-purpose', box).value,
        note: $('#x-interest-note', box).value.trim(), consent: $('#x-interest-consent', box).checked });
      say(t('transfer.interestSent'));
    } catch (err) {
      say(err.message, true);
    }
  }

  /** useTicket checks a ticket against the API (the participant's own
   * data) and keeps it; a refused one is dropped. */
  async function useTicket(ticket) {
    if (!ticket) return;
    x.ticket = ticket;
    try {
      const mine = await call('GET', evPath('/my-data'));
      x.me = mine.attendee || {};
      store.set(key, ticket);
    } catch (err) {
      x.ticket = '';
      x.me = null;
      store.set(key, '');
      say(err.message, true);
    }
    render();
  }

  function updateLeft() {
    const n = MAX_QUESTION - [...$('#x-ask-text', box).value].length;
    $('#x-ask-left', box).textContent = t('transfer.charsLeft', { n });
  }

  // ---- markup --------------------------------------------------------------

  function build() {
    if (mode === 'timer') return;
    const purpose = h('select', { id: 'x-interest-purpose' });
    const fillPurposes = () => purpose.replaceChildren(...PURPOSES.map((p) => h('option', { value: p }, t(`transfer.purpose.${p}`))));
    fillPurposes();
    box.replaceChildren(...[
      h('h2', { id: 'x-heading' }, t('transfer.liveHeading')),
      h('div', { id: 'x-counts', class: 'x-counts' }),
      h('div', { id: 'x-questions', class: 'q-box', 'aria-live': 'polite' }),
      interactive ? [
        h('p', { id: 'x-notice', class: 'notice', role: 'status', hidden: true }),
        h('form', { id: 'x-ask', class: 'x-form', hidden: true, onsubmit: ask },
          h('fieldset', null,
            h('legend', null, t('transfer.askTitle')),
            h('label', { class: 'field', hidden: true }, h('span', null, t('transfer.askWhich')), h('select', { id: 'x-ask-slot' })),
            h('label', { class: 'field' }, h('span', null, t('transfer.question')),
              h('textarea', { id: 'x-ask-text', maxlength: MAX_QUESTION, rows: 2, required: true, oninput: updateLeft })),
            h('p', { class: 'muted', id: 'x-ask-left' }, t('transfer.charsLeft', { n: MAX_QUESTION })),
            h('button', { class: 'btn btn-primary', type: 'submit', id: 'x-ask-send' }, t('transfer.send')))),
        h('p', { id: 'x-ask-closed', class: 'muted', hidden: true }, t('transfer.askParticipants')),
        h('form', { id: 'x-interest', class: 'x-form', hidden: true, onsubmit: markInterest },
          h('fieldset', null,
            h('legend', null, t('transfer.interestTitle')),
            h('label', { class: 'field' }, h('span', null, t('transfer.catalogue')), h('select', { id: 'x-interest-what' })),
            h('label', { class: 'field' }, h('span', null, t('transfer.purpose')), purpose),
            h('label', { class: 'field' }, h('span', null, t('transfer.note')), h('textarea', { id: 'x-interest-note', maxlength: MAX_NOTE, rows: 2 })),
            h('label', { class: 'check' }, h('input', { type: 'checkbox', id: 'x-interest-consent' }), ' ', t('transfer.consent')),
            h('button', { class: 'btn btn-primary', type: 'submit', id: 'x-interest-send' }, t('transfer.interested')))),
        h('p', { id: 'x-interest-closed', class: 'muted', hidden: true }, t('transfer.interestParticipants')),
        h('form', { id: 'x-ticket', class: 'x-form x-ticket', onsubmit: (e) => {
          e.preventDefault();
          useTicket(ticketFrom($('#x-ticket-text', box).value));
          $('#x-ticket-text', box).value = '';
        } },
        h('p', { id: 'x-who', class: 'muted' }, ''),
        h('label', { class: 'field' }, h('span', null, t('transfer.ticketLink')), h('input', { id: 'x-ticket-text', type: 'text', autocomplete: 'off', spellcheck: 'false' })),
        h('button', { class: 'btn btn-small', type: 'submit' }, t('transfer.useTicket')),
        h('button', { class: 'btn btn-small', type: 'button', id: 'x-forget', hidden: true, onclick: () => {
          x.ticket = '';
          x.me = null;
          store.set(key, '');
          render();
        } }, t('transfer.forgetTicket'))),
      ] : [],
    ].flat());
    built = currentLang();
  }

  onLangChange(render);
  if (interactive) {
    const hash = new URLSearchParams(location.hash.slice(1)).get('ticket');
    if (hash) history.replaceState(null, '', location.pathname + location.search);
    useTicket(hash || store.get(key) || '');
  }
  return { accept, render };
}
