// Products: search, category, hidden and stock-status filters; prices, stock, cost, margin and the
// analytics at a glance, the stock status coloured.
import { html, useEffect } from '../lib.js';
import { api, query } from '../api.js';
import { t } from '../i18n.js';
import { money, number, perDay } from '../format.js';
import { go, rememberList } from '../router.js';
import { dailySales } from '../overrides.js';
import { ApiErrorBox, Badge, EditedMark, ExportButtons, Loading, Pager, ShopText, StockBadge, useFilterForm, useLoad } from '../ui.js';

const SORTS = ['name', '-name', 'price', '-price', 'stock_quantity', '-stock_quantity', 'days_to_zero', '-avg_daily_sales_30d', '-updated_at'];
const STOCK = ['critical', 'warning', 'normal'];
const LIMIT = 50;

function filtersFrom(params) {
  return {
    q: params.get('q') || '',
    category: params.get('category') || '',
    hidden: params.get('hidden') || '',
    stock_status: params.get('stock_status') || '',
    sort: params.get('sort') || 'name',
    offset: Number(params.get('offset') || 0),
  };
}

function Filters({ applied }) {
  const { form, set, submit } = useFilterForm(applied, '/products');
  const categories = useLoad(() => api('products/categories'), []);
  return html`<form class="filters" onSubmit=${submit} aria-label=${t('filters.label')}>
    <div class="row">
      <div class="field grow"><label for="p-q">${t('products.search')}</label>
        <input id="p-q" type="search" value=${form.q} onInput=${set('q')} placeholder=${t('products.searchHint')} /></div>
      <div class="field"><label for="p-category">${t('products.category')}</label>
        <select id="p-category" value=${form.category} onChange=${set('category')}>
          <option value="">${t('filters.all')}</option>
          ${(categories.data || []).map((c) => html`<option value=${c.name}>${c.name} (${c.products})</option>`)}
          ${form.category && !(categories.data || []).some((c) => c.name === form.category) ? html`<option value=${form.category}>${form.category}</option>` : null}
        </select></div>
      <div class="field"><label for="p-hidden">${t('products.visibility')}</label>
        <select id="p-hidden" value=${form.hidden} onChange=${set('hidden')}>
          <option value="">${t('filters.all')}</option>
          <option value="false">${t('products.shown')}</option>
          <option value="true">${t('products.hidden')}</option>
        </select></div>
      <div class="field"><label for="p-stock">${t('products.stockStatus')}</label>
        <select id="p-stock" value=${form.stock_status} onChange=${set('stock_status')}>
          <option value="">${t('filters.all')}</option>
          ${STOCK.map((s) => html`<option value=${s}>${t(`stock.${s}`)}</option>`)}
        </select></div>
      <div class="field"><label for="p-sort">${t('common.sort')}</label>
        <select id="p-sort" value=${form.sort} onChange=${set('sort')}>
          ${SORTS.map((s) => html`<option value=${s}>${t(`products.sort.${s}`)}</option>`)}
        </select></div>
    </div>
    <${ApiErrorBox} error=${categories.error} doing=${t('products.categoriesDoing')} />
    <div class="buttons">
      <button type="submit">${t('filters.apply')}</button>
      <a class="button secondary" href="#/products">${t('filters.reset')}</a>
    </div>
  </form>`;
}

// On a phone each product is a card: its name, stock status, price and stock always whole.
function ProductCards({ products, edited }) {
  return html`<ul class="record-cards products-cards" aria-label=${t('products.title')}>
    ${products.map(
      (p) => html`<li class=${`record-card${p.deleted_upstream_at ? ' gone' : ''}`}>
        <p class="record-line">
          <a href=${`#/products/${p.id}`}><${ShopText} text=${p.name} /></a>
          <${StockBadge} status=${p.analytics.stock_status} />
        </p>
        <p class="record-line">
          <span>${t('products.price')}: ${money(p.price)}${edited(p, 'price')}</span>
          <span>${t('products.stock')}: ${number(p.stock_quantity)}${edited(p, 'stock_quantity')}</span>
          <span data-abc>${t('products.abc')}: ${p.analytics.abc_class ?? '—'}</span>
        </p>
        ${p.is_hidden ? html`<p><${Badge} kind="hidden">${t('products.hiddenBadge')}<//></p>` : null}
      </li>`,
    )}
  </ul>`;
}

export function ProductsPage({ params }) {
  const applied = filtersFrom(params);
  const list = useLoad(
    () => api(`products${query({ ...applied, offset: applied.offset || undefined, limit: LIMIT })}`),
    [params.toString()],
  );
  const page = list.data;
  // The back link of a record opened from here returns to this very list.
  useEffect(() => rememberList('/products'), [params.toString()]);
  const edited = (p, field) => (p.overridden.includes(field) ? html` <${EditedMark} />` : null);
  return html`<section class="page">
    <h1>${t('products.title')}</h1>
    <${Filters} applied=${applied} />
    <${Loading} when=${list.loading} />
    <${ApiErrorBox} error=${list.error} doing=${t('products.doing')} />
    ${page
      ? html`<div class="results" aria-busy=${list.loading ? 'true' : 'false'}>
          <p class="total" aria-live="polite">${t('products.total', { n: number(page.total) })}</p>
          <${ExportButtons} what="products" params=${{ ...applied, offset: undefined }} />
          ${page.items.length === 0 ? html`<p>${t('products.none')}</p>` : html`<${ProductCards} products=${page.items} edited=${edited} /><div class="table-wrap wide-list"><table class="products">
            <caption class="visually-hidden">${t('products.title')}</caption>
            <thead><tr>
              <th scope="col">${t('products.name')}</th><th scope="col" class="wide-only">${t('products.category')}</th>
              <th scope="col" class="num">${t('products.price')}</th><th scope="col" class="num">${t('products.stock')}</th>
              <th scope="col" class="num wide-only">${t('products.cost')}</th><th scope="col" class="num wide-only">${t('products.margin')}</th>
              <th scope="col" class="num wide-only">${t('products.avgSales')}</th><th scope="col" class="num wide-only">${t('products.daysToZero')}</th>
              <th scope="col" class="num wide-only">${t('products.recommended')}</th>
              <th scope="col" class="wide-only"><abbr title=${t('products.abcTitle')}>${t('products.abc')}</abbr></th><th scope="col">${t('products.stockStatus')}</th>
            </tr></thead>
            <tbody>${page.items.map(
              (p) => html`<tr class=${p.deleted_upstream_at ? 'gone' : ''}>
                <td><a href=${`#/products/${p.id}`}><${ShopText} text=${p.name} /></a>${p.is_hidden ? html` <${Badge} kind="hidden">${t('products.hiddenBadge')}<//>` : null}</td>
                <td class="wide-only"><${ShopText} text=${p.category} /></td>
                <td class="num">${money(p.price)}${edited(p, 'price')}</td>
                <td class="num">${number(p.stock_quantity)}${edited(p, 'stock_quantity')}</td>
                <td class="num wide-only">${money(p.cost)}</td>
                <td class="num wide-only">${money(p.margin)}</td>
                <td class="num wide-only">${perDay(dailySales(p))}</td>
                <td class="num wide-only">${number(p.analytics.days_to_zero)}</td>
                <td class="num wide-only">${number(p.analytics.recommended_qty)}</td>
                <td class="wide-only" data-abc>${p.analytics.abc_class ?? '—'}</td>
                <td><${StockBadge} status=${p.analytics.stock_status} /></td>
              </tr>`,
            )}</tbody>
          </table></div>`}
          <${Pager} total=${page.total} limit=${LIMIT} offset=${page.offset}
            onOffset=${(offset) => go('/products', { ...applied, offset })} />
        </div>`
      : null}
  </section>`;
}
