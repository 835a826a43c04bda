// Interface language: strings, switching, and per-language formatting of
// numbers. The server renders each page in the reader's language (cookie
// hc_lang, else Accept-Language) and hands the strings over in
// <body data-strings>; other languages are fetched from the same JSON
// files the server reads (static/i18n/<lang>.json).

import { $$, h, store } from './dom.js';

export const LANGS = ['zh', 'en', 'hu'];
const NAMES = { zh: '中文', en: 'English', hu: 'Magyar' };
const LOCALES = { zh: 'zh-CN', en: 'en-GB', hu: 'hu-HU' };
const HTML_LANG = { zh: 'zh-CN', en: 'en', hu: 'hu' };
const STORE_KEY = 'hc.lang';

let lang = document.documentElement.dataset.lang || 'en';
let strings = {};
const loaded = {};
const listeners = new Set();

try {
  strings = JSON.parse(document.body.dataset.strings || '{}');
} catch {
  strings = {};
}
loaded[lang] = strings;

/** currentLang is zh, en or hu. */
export const currentLang = () => lang;

/** locale is the BCP 47 locale used for Intl formatting in the language. */
export const locale = (l = lang) => LOCALES[l] || 'en-GB';

/**
 * t returns the interface string key, with {name} placeholders filled from
 * vars (numbers are formatted for the language).
 */
export function t(key, vars) {
  let s = strings[key];
  if (s === undefined) s = (loaded.en && loaded.en[key]) ?? key;
  if (vars) {
    s = s.replace(/\{(\w+)\}/g, (m, name) => {
      const v = vars[name];
      if (v === undefined || v === null) return m;
      return typeof v === 'number' ? fmtNumber(v) : String(v);
    });
  }
  return s;
}

/** pick returns the text of a trilingual {zh,en,hu} in the language,
 * falling back to English, then Chinese, then Hungarian. */
export function pick(text, l = lang) {
  if (!text) return '';
  return text[l] || text.en || text.zh || text.hu || '';
}

const numberFormats = new Map();
/** fmtNumber formats an integer for the language (1,234 · 1 234). */
export function fmtNumber(n) {
  let f = numberFormats.get(lang);
  if (!f) {
    f = new Intl.NumberFormat(locale(), { maximumFractionDigits: 0 });
    numberFormats.set(lang, f);
  }
  return f.format(n);
}

/** onLangChange calls fn after every language switch. */
export function onLangChange(fn) {
  listeners.add(fn);
}

/** translateStatic refreshes every [data-i18n] text and every
 * [data-i18n-attr="attr:key;attr:key"] attribute under root. */
export function translateStatic(root = document) {
  for (const el of $$('[data-i18n]', root)) {
    const s = t(el.dataset.i18n);
    if (el.textContent !== s) el.textContent = s;
  }
  for (const el of $$('[data-i18n-attr]', root)) {
    for (const pair of el.dataset.i18nAttr.split(';')) {
      const [attr, key] = pair.split(':');
      if (attr && key) el.setAttribute(attr.trim(), t(key.trim()));
    }
  }
}

async function load(l) {
  if (loaded[l]) return loaded[l];
  const base = document.body.dataset.static || '/static/';
  const res = await fetch(`${base}i18n/${l}.json`, { credentials: 'same-origin' });
  if (!res.ok) throw new Error(`strings for ${l}: HTTP ${res.status}`);
  loaded[l] = await res.json();
  return loaded[l];
}

/**
 * setLang switches the interface and content language, remembers it
 * (localStorage, and a cookie so the next page is rendered in it), sets
 * <html lang> and re-renders through the listeners.
 */
export async function setLang(l, { remember = true } = {}) {
  if (!LANGS.includes(l)) return;
  if (remember) {
    store.set(STORE_KEY, l);
    document.cookie = `hc_lang=${l}; path=/; max-age=31536000; samesite=lax`;
  }
  if (l === lang && loaded[l]) return;
  try {
    strings = await load(l);
  } catch {
    return; // keep the current language if the strings cannot be loaded
  }
  lang = l;
  document.documentElement.lang = HTML_LANG[l];
  document.documentElement.dataset.lang = l;
  numberFormats.clear();
  translateStatic();
  for (const fn of listeners) fn(l);
}

/**
 * initLang applies a language remembered in this browser (localStorage)
 * or asked for in ?lang=, when it differs from the one the server chose.
 */
export async function initLang() {
  const q = new URLSearchParams(location.search).get('lang');
  const want = LANGS.includes(q) ? q : store.get(STORE_KEY);
  if (want && want !== lang && LANGS.includes(want)) await setLang(want, { remember: !q });
}

/**
 * langSwitch fills container with one button per language (aria-pressed
 * marks the current one) and keeps it current.
 */
export function langSwitch(container) {
  const buttons = LANGS.map((l) => h('button', {
    type: 'button',
    class: 'lang-btn',
    lang: HTML_LANG[l],
    'aria-pressed': String(l === lang),
    dataset: { lang: l },
    onclick: () => setLang(l),
  }, NAMES[l]));
  container.replaceChildren(...buttons);
  onLangChange((now) => {
    for (const b of buttons) b.setAttribute('aria-pressed', String(b.dataset.lang === now));
  });
}
