// Orders: filters beside the list (statuses, shop-local dates, search, sort), the exact total, pages.
// The filters live in the URL, so back from an order returns to the same list.
import { html, useEffect } from '../lib.js';
import { api, query } from '../api.js';
import { labelOf, t } from '../i18n.js';
import { dateTime, money, number } from '../format.js';
import { go, rememberList } from '../router.js';
import { ApiErrorBox, EditedMark, ExportButtons, Loading, Pager, ShopText, StatusBadge, useFilterForm, useLoad } from '../ui.js';

export const STATUSES = ['unpaid', 'paid', 'processing', 'shipped', 'delivered', 'cancelled', 'overdue', 'refunded'];
const SORTS = ['-created_at', 'created_at', '-total_amount', 'total_amount'];
const LIMIT = 50;

function filtersFrom(params) {
  return {
    status: params.getAll('status'),
    date_from: params.get('date_from') || '',
    date_to: params.get('date_to') || '',
    q: params.get('q') || '',
    sort: params.get('sort') || '-created_at',
    offset: Number(params.get('offset') || 0),
  };
}

function Filters({ applied }) {
  const { form, setForm, set, submit } = useFilterForm(applied, '/orders');
  // The statuses the console knows, and any other the shop's orders carry (shown by its own word).
  const counts = useLoad(() => api('orders/stats'), []);
  const present = ((counts.data && counts.data.by_status) || []).map((row) => row.status);
  const statuses = [...new Set([...STATUSES, ...present, ...applied.status])];
  const toggle = (status) =>
    setForm({ ...form, status: form.status.includes(status) ? form.status.filter((s) => s !== status) : [...form.status, status] });
  return html`<form class="filters" onSubmit=${submit} aria-label=${t('filters.label')}>
    <fieldset>
      <legend>${t('orders.status')}</legend>
      <div class="checks">
        ${statuses.map(
          (s) => html`<label class="check"><input type="checkbox" name="status" value=${s}
            checked=${form.status.includes(s)} onChange=${() => toggle(s)} /> <bdi>${labelOf('status', s)}</bdi></label>`,
        )}
      </div>
    </fieldset>
    <div class="row">
      <div class="field"><label for="f-from">${t('orders.dateFrom')}</label>
        <input id="f-from" type="date" value=${form.date_from} onInput=${set('date_from')} /></div>
      <div class="field"><label for="f-to">${t('orders.dateTo')}</label>
        <input id="f-to" type="date" value=${form.date_to} onInput=${set('date_to')} /></div>
      <div class="field grow"><label for="f-q">${t('orders.search')}</label>
        <input id="f-q" type="search" value=${form.q} onInput=${set('q')} placeholder=${t('orders.searchHint')} /></div>
      <div class="field"><label for="f-sort">${t('common.sort')}</label>
        <select id="f-sort" value=${form.sort} onChange=${set('sort')}>
          ${SORTS.map((s) => html`<option value=${s}>${t(`orders.sort.${s}`)}</option>`)}
        </select></div>
    </div>
    <div class="buttons">
      <button type="submit">${t('filters.apply')}</button>
      <a class="button secondary" href="#/orders">${t('filters.reset')}</a>
    </div>
  </form>`;
}

// On a phone each order is a card whose number, date, amount and status are always whole.
function OrderCards({ orders }) {
  return html`<ul class="record-cards orders-cards" aria-label=${t('orders.title')}>
    ${orders.map(
      (o) => html`<li class=${`record-card${o.deleted_upstream_at ? ' gone' : ''}`}>
        <p class="record-line">
          <a href=${`#/orders/${o.id}`}>№ ${o.external_id}</a>
          <span class="record-amount">${money(o.total_amount)}</span>
        </p>
        <p class="record-line">
          <span class="muted">${dateTime(o.created_at)}</span>
          <span><${StatusBadge} status=${o.status} />${o.overridden.includes('status') ? html` <${EditedMark} />` : null}</span>
        </p>
        <p class="record-who"><${ShopText} text=${o.customer.name} />${o.customer.city ? html`, <${ShopText} text=${o.customer.city} />` : null}</p>
      </li>`,
    )}
  </ul>`;
}

export function OrdersPage({ params }) {
  const applied = filtersFrom(params);
  const key = params.toString();
  const list = useLoad(
    () => api(`orders${query({ ...applied, offset: applied.offset || undefined, limit: LIMIT })}`),
    [key],
  );
  const page = list.data;
  // The back link of a record opened from here returns to this very list.
  useEffect(() => rememberList('/orders'), [key]);
  return html`<section class="page">
    <h1>${t('orders.title')}</h1>
    <${Filters} applied=${applied} />
    <${Loading} when=${list.loading} />
    <${ApiErrorBox} error=${list.error} doing=${t('orders.doing')} />
    ${page
      ? html`<div class="results" aria-busy=${list.loading ? 'true' : 'false'}>
          <p class="total" aria-live="polite">${t('orders.total', { n: number(page.total) })}</p>
          <${ExportButtons} what="orders" params=${{ ...applied, offset: undefined }} />
          ${page.items.length === 0 ? html`<p>${t('orders.none')}</p>` : html`<${OrderCards} orders=${page.items} /><div class="table-wrap wide-list"><table class="orders">
            <caption class="visually-hidden">${t('orders.title')}</caption>
            <thead><tr>
              <th scope="col">${t('orders.number')}</th><th scope="col" class="wide-only">${t('orders.created')}</th>
              <th scope="col">${t('orders.customer')}</th><th scope="col" class="wide-only">${t('orders.city')}</th>
              <th scope="col">${t('orders.status')}</th><th scope="col" class="num">${t('orders.total_amount')}</th>
              <th scope="col" class="num wide-only">${t('orders.items')}</th>
            </tr></thead>
            <tbody>${page.items.map(
              (o) => html`<tr class=${o.deleted_upstream_at ? 'gone' : ''}>
                <td><a href=${`#/orders/${o.id}`}>№ ${o.external_id}</a><span class="phone-only muted">${dateTime(o.created_at)}</span></td>
                <td class="wide-only">${dateTime(o.created_at)}</td>
                <td><${ShopText} text=${o.customer.name} /></td>
                <td class="wide-only"><${ShopText} text=${o.customer.city} /></td>
                <td><${StatusBadge} status=${o.status} />${o.overridden.includes('status') ? html` <${EditedMark} />` : null}</td>
                <td class="num">${money(o.total_amount)}</td>
                <td class="num wide-only">${o.item_count}</td>
              </tr>`,
            )}</tbody>
          </table></div>`}
          <${Pager} total=${page.total} limit=${LIMIT} offset=${page.offset}
            onOffset=${(offset) => go('/orders', { ...applied, offset })} />
        </div>`
      : null}
  </section>`;
}
