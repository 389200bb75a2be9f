// Every string the console shows lives in i18n/<lang>.js; Russian is the staff's language and the default.
import ru from './i18n/ru.js';
import en from './i18n/en.js';

export const LANGUAGES = { ru, en };
const LANG_KEY = 'strattera.lang';
let current = LANGUAGES[localStorage.getItem(LANG_KEY)] ? localStorage.getItem(LANG_KEY) : 'ru';
document.documentElement.lang = current;

export function language() {
  return current;
}

export function setLanguage(lang) {
  if (!LANGUAGES[lang]) return;
  current = lang;
  localStorage.setItem(LANG_KEY, lang);
  document.documentElement.lang = lang;
}

// The string for `key`, or `otherwise` when no language has one: what the shop or the API said, for
// a value or a code the console does not know (never the key itself).
export function translated(key, otherwise, params = {}) {
  return key in LANGUAGES[current] || key in LANGUAGES.ru ? t(key, params) : otherwise;
}

// labelOf('status', 'paid'): the translation of a value the shop sends, or the shop's own word for
// one the console does not know (a new status is shown as the shop names it, never as a key).
export function labelOf(kind, value) {
  return translated(`${kind}.${value}`, String(value));
}

// What an API validation detail says, in the person's language: by its `type` (a stable code) and
// `limit`; the API's English message only for a code the console does not know.
export function detailText(detail) {
  const limit = detail.limit === undefined ? '' : String(detail.limit).replace('.', current === 'ru' ? ',' : '.');
  return translated(`validation.${detail.type}`, detail.message, { limit });
}

// What an API error says, in the person's language, by its stable `code` (docs/api.md).
export function errorText(error) {
  return translated(`apiError.${error.code}`, error.message);
}

// t('orders.total', { n: 3 }): the current language's string with {n} filled in.
export function t(key, params = {}) {
  const text = LANGUAGES[current][key] ?? LANGUAGES.ru[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
}
