// A record's timeline (GET /api/{orders,products}/{id}/history): what the shop changed, seen by
// which run, and what the staff edited or reverted, newest first, a page at a time.
import { html, useState } from './lib.js';
import { api } from './api.js';
import { labelOf, t, translated } from './i18n.js';
import { dateTime, money, number } from './format.js';
import { ApiErrorBox, Loading, ShopText, useLoad } from './ui.js';

const PAGE = 50;
const MONEY = new Set(['total_amount', 'delivery_cost', 'bonus', 'price', 'old_price', 'cost']);
const TIMES = new Set(['created_at', 'paid_at', 'shipped_at', 'updated_at', 'deleted_at']);

// One value as the page shows it elsewhere: money, a time, a status in words, a list of items by
// its count; the shop's own text as data.
function shown(field, value) {
  if (value === null || value === undefined) return '—';
  if (MONEY.has(field)) return money(value);
  if (TIMES.has(field)) return dateTime(value);
  if (field === 'status') return labelOf('status', value);
  if (field === 'items') return t('history.items', { n: number(value.length) });
  if (typeof value === 'boolean') return t(value ? 'history.yes' : 'history.no');
  if (typeof value === 'number') return number(value);
  return html`<${ShopText} text=${String(value)} />`;
}

function Change({ event, change }) {
  const name = translated(`field.${change.field}`, null);
  const label = name ?? html`<code>${change.field}</code>`;
  if (event.kind === 'reverted') return html`<li>${label}: ${t('history.backToShop')}</li>`;
  return html`<li>${label}: ${shown(change.field, change.old)} → ${shown(change.field, change.new)}</li>`;
}

function Event({ event }) {
  const who = event.source === 'shop' ? t('history.shop') : html`<span class="data">${event.by}</span>`;
  return html`<li class="event" data-kind=${event.kind}>
    <p><time datetime=${event.at}>${dateTime(event.at)}</time> · <strong>${who}</strong>: ${t(`history.kind.${event.kind}`)}
      ${event.run_id ? html` · <a href=${`#/runs/${event.run_id}`}>${t('history.run', { id: event.run_id })}</a>` : null}</p>
    ${event.changes.length ? html`<ul>${event.changes.map((change) => html`<${Change} event=${event} change=${change} />`)}</ul>` : null}
  </li>`;
}

// `path`: `orders/12` or `products/7`; `version` changes when the record was edited here (the first
// page is asked for again, and the pages after it are dropped). "More" asks for the next page.
export function Timeline({ path, version }) {
  const loaded = useLoad(() => api(`${path}/history?limit=${PAGE}`), [path, version]);
  const first = loaded.data;
  const [more, setMore] = useState({ of: null, items: [], busy: false, error: null });
  const extra = more.of === first ? more.items : [];
  const items = first ? [...first.items, ...extra] : [];
  const loadMore = async () => {
    setMore({ of: first, items: extra, busy: true, error: null });
    try {
      const next = await api(`${path}/history?limit=${PAGE}&offset=${items.length}`);
      setMore({ of: first, items: [...extra, ...next.items], busy: false, error: null });
    } catch (error) {
      setMore({ of: first, items: extra, busy: false, error });
    }
  };
  return html`<section aria-labelledby="timeline-title" class="timeline">
    <h2 id="timeline-title">${t('history.title')}</h2>
    <${Loading} when=${loaded.loading && !first} />
    <${ApiErrorBox} error=${loaded.error || (more.of === first ? more.error : null)} doing=${t('history.doing')} />
    ${first
      ? html`<ol class="events">${items.map((event) => html`<${Event} event=${event} />`)}</ol>
          ${first.total > items.length
            ? html`<button type="button" onClick=${loadMore} disabled=${more.busy}>${t('history.more', { n: number(first.total - items.length) })}</button>`
            : null}`
      : null}
  </section>`;
}
