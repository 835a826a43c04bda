// The programme as every live page draws it: a stage's now / next card
// with its stream, and the agenda grouped by day. The live page, a
// stage's page and hall screen, the foyer screen and the embeddable
// schedule use these; the server renders the same markup first
// (templates/programme.html) so the pages read without scripts.

import { h } from './dom.js';
import { pick, t } from './i18n.js';
import { itemMeta, kindName, shiftNote, slotTitle, stateChip, streamOf, zoneTimes } from './render.js';
import { dayKey, dayLabel, minutesBetween, serverNow, when } from './time.js';

const SOON_MINUTES = 60; // "starting soon" only within the hour

/** stageName is a stage's name in the page's language. */
export function stageName(st) {
  return (st.def && pick(st.def.name)) || st.stage;
}

/**
 * stageCard draws one stage: what is on now (the presenting item, the
 * running session, or the session coming up), what is next, and the
 * stream for region — live only while the stage's session is live, else
 * when it goes live next. ctx: {slug (the event's), zones, region, named
 * (show the stage's name, linked to its page), alt (the hall screen's
 * second language, or '')}.
 */
export function stageCard(st, ctx) {
  const s = st.session;
  const name = stageName(st);
  const stageTag = ctx.named ? h('a', { class: 'stage-name', href: `/e/${encodeURIComponent(ctx.slug)}/s/${encodeURIComponent(st.stage)}` }, name) : null;
  const stream = streamBlock(st, ctx, name);
  if (!s) {
    return h('article', { class: 'stage', dataset: { stage: st.stage, state: '' } },
      h('div', { class: 'now card now-ended' },
        h('p', { class: 'label' }, t('live.stageOver'), stageTag),
        h('p', { class: 'now-title', id: 'now-title' }, t('live.thanks'))),
      h('div', { class: 'next card is-empty' }, h('p', { class: 'label' }, t('live.upNext')),
        h('p', { class: 'next-title muted' }, t('live.nothingNext'))),
      stream);
  }
  const active = s.state === 'live' || s.state === 'paused';
  const paused = s.state === 'paused';
  const total = (st.slots || []).length;
  const alt = (fn) => (ctx.alt ? h('p', { class: 'alt-title', lang: ctx.alt }, fn(ctx.alt)) : null);
  const onair = h('span', { class: 'onair', 'aria-hidden': 'true' });
  let now;
  if (active && st.current) {
    now = h('div', { class: `now card${paused ? ' is-paused' : ''}`, dataset: { slot: st.current.id } },
      h('p', { class: 'label' }, onair, t(paused ? 'live.paused' : 'live.nowPresenting'), stageTag,
        h('span', { class: 'pos' }, t('live.position', { n: st.current.position, total }))),
      h('p', { class: 'now-title', id: 'now-title' }, slotTitle(st.current)),
      alt((l) => slotTitle(st.current, l)),
      h('p', { class: 'meta' }, itemMeta(st.current)),
      h('div', { class: 'now-times' },
        h('p', { class: 'times-label' }, t('live.until')),
        zoneTimes(st.current.expected_end, st.current.planned_end, ctx.zones, { cls: 'zones-end' })));
  } else if (active) {
    now = h('div', { class: `now card${paused ? ' is-paused' : ''}`, dataset: { session: s.id } },
      h('p', { class: 'label' }, onair, t(paused ? 'live.paused' : 'live.now'), stageTag, h('span', { class: 'pos' }, kindName(s.kind))),
      h('p', { class: 'now-title', id: 'now-title' }, pick(s.title)),
      alt((l) => pick(s.title, l)),
      h('div', { class: 'now-times' },
        h('p', { class: 'times-label' }, t('live.until')),
        zoneTimes(s.expected_end, s.planned_end, ctx.zones, { cls: 'zones-end' })));
  } else {
    const soon = minutesBetween(serverNow(), s.expected_start) <= SOON_MINUTES;
    now = h('div', { class: 'now card is-upcoming', dataset: { session: s.id } },
      h('p', { class: 'label' }, t(soon ? 'live.startsSoon' : 'live.nextOnStage'), stageTag, h('span', { class: 'pos' }, kindName(s.kind))),
      h('p', { class: 'now-title', id: 'now-title' }, pick(s.title)),
      alt((l) => pick(s.title, l)),
      h('div', { class: 'now-times' },
        h('p', { class: 'times-label' }, t('live.startsAt'), shiftNote(s.planned_start, s.expected_start)),
        zoneTimes(s.expected_start, s.planned_start, ctx.zones)));
  }
  let next;
  const upSlot = st.next && (active || !st.current) ? st.next : null;
  if (upSlot) {
    next = h('div', { class: 'next card', dataset: { slot: upSlot.id } },
      h('p', { class: 'label' }, t('live.upNext'), h('span', { class: 'pos' }, t('live.position', { n: upSlot.position, total }))),
      h('p', { class: 'next-title', id: 'next-title' }, slotTitle(upSlot)),
      alt((l) => slotTitle(upSlot, l)),
      h('p', { class: 'meta' }, itemMeta(upSlot)),
      h('div', { class: 'next-times', id: 'next-times' },
        h('p', { class: 'times-label' }, t('live.expectedStart'), shiftNote(upSlot.planned_start, upSlot.expected_start)),
        zoneTimes(upSlot.expected_start, upSlot.planned_start, ctx.zones)));
  } else if (st.following) {
    const f = st.following;
    next = h('div', { class: 'next card', dataset: { session: f.id } },
      h('p', { class: 'label' }, t('live.upNext'), h('span', { class: 'pos' }, kindName(f.kind))),
      h('p', { class: 'next-title', id: 'next-title' }, pick(f.title)),
      alt((l) => pick(f.title, l)),
      f.fixed_start ? h('p', { class: 'meta' }, h('span', { class: 'badge badge-fixed' }, t('live.fixedStart'))) : null,
      h('div', { class: 'next-times', id: 'next-times' },
        h('p', { class: 'times-label' }, t('live.expectedStart'), shiftNote(f.planned_start, f.expected_start)),
        zoneTimes(f.expected_start, f.planned_start, ctx.zones)));
  } else {
    next = h('div', { class: 'next card is-empty' },
      h('p', { class: 'label' }, t('live.upNext')),
      h('p', { class: 'next-title muted' }, t('live.nothingNext')));
  }
  return h('article', { class: 'stage', dataset: { stage: st.stage, state: s.state } }, now, next, stream);
}

/** streamBlock is a stage's stream button: a link while the stage is
 * live, else a note of when it goes live. */
function streamBlock(st, ctx, name) {
  const { url, live } = streamOf(st, ctx.region);
  const s = st.session;
  if (live && url) {
    return h('p', { class: 'stage-watch' }, h('a', {
      class: 'btn btn-primary btn-block stream-link is-live', href: url, rel: 'noopener noreferrer', target: '_blank', dataset: { stage: st.stage },
    }, t('live.streamLive', { stage: name })));
  }
  let note = t('live.streamOver', { stage: name });
  if (s && !live) note = t('live.streamAt', { stage: name, time: when(s.expected_start, ctx.zones[0].tz) });
  else if (live) note = t('live.noStream');
  return h('p', { class: 'stage-watch' }, h('span', { class: 'btn btn-block stream-link is-disabled', 'aria-disabled': 'true', dataset: { stage: st.stage } }, note));
}

/**
 * agendaDays splits sessions into the conference's days, in order:
 * [{key, label, sessions}]. By expected start, a day ends where nothing is
 * on for six hours, so an evening that runs past midnight in tz stays one
 * day; a day is named by its first session's date in tz (the server's
 * programme.go conferenceDays does the same).
 */
export function agendaDays(list, tz) {
  const sorted = [...list].sort((a, b) => Date.parse(a.expected_start) - Date.parse(b.expected_start));
  const days = [];
  let until = 0;
  for (const s of sorted) {
    const start = Date.parse(s.expected_start);
    if (!days.length || start - until >= DAY_BREAK_MS) {
      days.push({ key: dayKey(s.expected_start, tz), label: dayLabel(s.expected_start, tz), sessions: [] });
      until = start;
    }
    days[days.length - 1].sessions.push(s);
    until = Math.max(until, Date.parse(s.expected_end) || start);
  }
  return days;
}

const DAY_BREAK_MS = 6 * 3600 * 1000;

/** currentDay is the day to show first: the one under way or starting
 * today in tz, else the first day with anything not over, else the last. */
export function currentDay(days, tz) {
  const now = serverNow();
  const today = dayKey(now, tz);
  const on = days.find((d) => d.sessions.some((s) => dayKey(s.expected_start, tz) === today
    || (Date.parse(s.expected_start) <= now && now < Date.parse(s.expected_end))));
  if (on) return on.key;
  const open = days.find((d) => d.sessions.some((s) => s.state !== 'ended' && s.state !== 'cancelled'));
  return (open || days[days.length - 1] || { key: '' }).key;
}

/**
 * agendaRows draws one day's sessions. ctx: {zones, stageNames (slug →
 * name, when several stages are shown)}.
 */
export function agendaRows(sessions, ctx) {
  return sessions.map((s) => h('li', { class: `agenda-row is-${s.state}`, dataset: { session: s.id, stage: s.stage } },
    h('div', { class: 'agenda-top' },
      h('span', { class: 'agenda-kind' }, kindName(s.kind)),
      stateChip(s.state),
      ctx.stageNames ? h('span', { class: 'agenda-stage' }, ctx.stageNames[s.stage] || s.stage) : null,
      s.fixed_start ? h('span', { class: 'badge badge-fixed' }, t('live.fixedStart')) : null),
    h('p', { class: 'agenda-title' }, pick(s.title)),
    s.state === 'scheduled' ? shiftNote(s.planned_start, s.expected_start) : null,
    zoneTimes(s.expected_start, s.planned_start, ctx.zones, { cls: 'zones-compact' })));
}

/** dayTabs draws the day tabs; chosen is the key shown, onPick(key) runs
 * when the reader picks another. */
export function dayTabs(days, chosen, onPick) {
  return days.map((d) => h('button', {
    type: 'button', class: 'day-tab', role: 'tab', 'aria-selected': String(d.key === chosen), dataset: { day: d.key },
    onclick: () => onPick(d.key),
  }, d.label));
}
