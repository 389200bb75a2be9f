// Money, numbers and times the shop's way: ru-RU, in the shop's time zone (from GET /api/me).
import { t } from './i18n.js';

let zone = 'Europe/Moscow';

// Formatters made once and kept: making an Intl formatter costs tens of microseconds, its format a
// fraction of one, and a purchasing list of 2,000 lines formats some 50,000 numbers. The fixed ones
// are constants; those that depend on the zone or the language are kept by their options.
const NUMBER = new Intl.NumberFormat('ru-RU', { maximumFractionDigits: 3 });
const PER_DAY = new Intl.NumberFormat('ru-RU', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const SECONDS = new Intl.NumberFormat('ru-RU', { maximumFractionDigits: 2 });
const made = new Map();

export function formatter(kind, locale, options) {
  const key = `${kind} ${locale} ${JSON.stringify(options)}`;
  let found = made.get(key);
  if (!found) {
    found = kind === 'date' ? new Intl.DateTimeFormat(locale, options) : new Intl.NumberFormat(locale, options);
    made.set(key, found);
  }
  return found;
}

export function setZone(name) {
  zone = name;
}

export function shopZone() {
  return zone;
}

const GROUP = '\u00a0';

// "4250.00" -> "4 250,00": an amount as the shop writes it, without the sign (what a money field
// shows; the field reads it back, spaces and comma included). A string formatted as one: no float.
export function amount(value) {
  const text = String(value);
  const negative = text.startsWith('-');
  const [whole, fraction = ''] = text.replace('-', '').split('.');
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, GROUP);
  return `${negative ? '−' : ''}${grouped},${fraction.padEnd(2, '0').slice(0, 2)}`;
}

// "4250.00" -> "4 250,00 ₽".
export function money(value) {
  if (value === null || value === undefined || value === '') return '—';
  return `${amount(value)}${GROUP}₽`;
}

// Money arithmetic on the API's strings, in whole kopecks (BigInt): a line's cost and an order's total
// come out to the kopeck, as the API's own would, never through a float.
export function kopecks(value) {
  const text = String(value);
  const negative = text.startsWith('-');
  const [whole, fraction = ''] = text.replace('-', '').split('.');
  const total = BigInt(whole || '0') * 100n + BigInt((fraction + '00').slice(0, 2));
  return negative ? -total : total;
}

export function fromKopecks(total) {
  const negative = total < 0n;
  const size = negative ? -total : total;
  return `${negative ? '-' : ''}${size / 100n}.${String(size % 100n).padStart(2, '0')}`;
}

export function number(value) {
  if (value === null || value === undefined || value === '') return '—';
  return NUMBER.format(Number(value));
}

// Units sold a day: always two decimals ("0,60", "0,87"), so that a column of them lines up and no
// value looks more precise than another.
export function perDay(value) {
  if (value === null || value === undefined || value === '') return '—';
  return PER_DAY.format(Number(value));
}

// An ISO time with offset -> "05.06.2025, 21:31" in the shop's zone.
export function dateTime(iso) {
  if (!iso) return '—';
  return formatter('date', 'ru-RU', { timeZone: zone, dateStyle: 'short', timeStyle: 'short' }).format(
    new Date(iso),
  );
}

export function dateTimeLong(iso) {
  if (!iso) return '—';
  return formatter('date', 'ru-RU', { timeZone: zone, dateStyle: 'short', timeStyle: 'medium' }).format(
    new Date(iso),
  );
}

// A shop-local day "2025-06-05" -> "05.06.2025" (no zone arithmetic: it already is a shop day).
export function day(isoDay) {
  if (!isoDay) return '—';
  const [y, m, d] = isoDay.split('-');
  return `${d}.${m}.${y}`;
}

// Today in the shop's zone, as "YYYY-MM-DD".
export function shopToday() {
  return formatter('date', 'en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(
    new Date(),
  );
}

export function addDays(isoDay, days) {
  const [y, m, d] = isoDay.split('-').map(Number);
  const moved = new Date(Date.UTC(y, m - 1, d + days));
  return moved.toISOString().slice(0, 10);
}

export function seconds(startIso, endIso) {
  if (!startIso || !endIso) return '—';
  const s = (new Date(endIso) - new Date(startIso)) / 1000;
  return `${SECONDS.format(s)}\u00a0${t('unit.seconds')}`;
}
