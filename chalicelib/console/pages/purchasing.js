// Purchasing: every product to order now, most urgent first (GET /api/purchasing), with the order's
// total. A line's quantity can be changed here for the order being made: the change lives in this tab
// (sessionStorage) and touches nothing in the analytics. Printed, the page is one table for a supplier.
import { html, useEffect, useState } from '../lib.js';
import { api, query } from '../api.js';
import { t } from '../i18n.js';
import { day, fromKopecks, kopecks, money, number, perDay, shopToday } from '../format.js';
import { go, rememberList } from '../router.js';
import { recommendationText } from '../recommendation.js';
import { ApiErrorBox, ExportButtons, Loading, ShopText, StockBadge, useLoad } from '../ui.js';

const LIMIT = 2000; // the API's largest page: a purchasing list longer than this is narrowed by category
const DRAFT = 'strattera.purchase';

// The quantities changed for this order, by product id: {"12": "40"} (as typed, checked on use).
function useDraft() {
  const [draft, setDraft] = useState(() => {
    try {
      return JSON.parse(sessionStorage.getItem(DRAFT) || '{}');
    } catch {
      return {};
    }
  });
  const save = (next) => {
    setDraft(next);
    sessionStorage.setItem(DRAFT, JSON.stringify(next));
  };
  const set = (id, text, recommended) => {
    const next = { ...draft };
    if (text.trim() === String(recommended)) delete next[id];
    else next[id] = text;
    save(next);
  };
  return { draft, set, clear: () => save({}) };
}

// A line as ordered: the quantity (typed or recommended), whether it was changed, whether it is a
// whole number, and its cost in kopecks (null without a cost or a valid quantity).
function ordered(line, draft) {
  const typed = draft[line.product_id];
  const text = typed === undefined ? String(line.recommended_qty) : typed.trim();
  const valid = /^\d{1,9}$/.test(text);
  const qty = valid ? Number(text) : null;
  const cost = valid && line.cost !== null ? kopecks(line.cost) * BigInt(qty) : null;
  return { line, text: typed === undefined ? String(line.recommended_qty) : typed, changed: typed !== undefined, valid, qty, cost };
}

function totalsOf(rows) {
  const known = rows.filter((r) => r.cost !== null);
  return {
    lines: rows.length,
    units: rows.reduce((sum, r) => sum + (r.valid ? r.qty : 0), 0),
    cost: fromKopecks(known.reduce((sum, r) => sum + r.cost, 0n)),
    withoutCost: rows.filter((r) => r.valid && r.qty > 0 && r.line.cost === null).length,
    invalid: rows.filter((r) => !r.valid).length,
  };
}

function QuantityInput({ row, id, onChange }) {
  const { line } = row;
  return html`<span class="qty">
    <input id=${id} class="no-print" inputmode="numeric" value=${row.text} aria-invalid=${row.valid ? undefined : 'true'}
      aria-label=${t('purchasing.qtyFor', { name: line.name })} aria-describedby=${row.valid ? undefined : `${id}-error`}
      onInput=${(e) => onChange(line.product_id, e.currentTarget.value, line.recommended_qty)} />
    <span class="print-only">${row.valid ? number(row.qty) : row.text}</span>
    ${row.valid ? null : html`<span class="field-message" id=${`${id}-error`}>${t('purchasing.qtyInvalid')}</span>`}
    ${row.changed ? html`<span class="muted no-print" data-recommended>${t('purchasing.recommendedWas', { qty: number(line.recommended_qty) })}</span>` : null}
  </span>`;
}

function DaysLeft({ line }) {
  if (line.days_to_zero === null) return html`<span>—</span>`;
  const late = line.days_to_spare < 0;
  return html`<span class=${late ? 'late' : ''}>${number(line.days_to_zero)}</span>`;
}

function Why({ line }) {
  return html`<details class="why no-print">
    <summary>${t('purchasing.why')}</summary>
    <p>${recommendationText(line.recommendation, line.demand_estimated || line.demand_overridden)}</p>
    ${line.recommended_overridden ? html`<p>${t('purchasing.staffQty', { qty: number(line.recommended_qty) })}</p>` : null}
  </details>`;
}

function Demand({ line }) {
  return line.demand_estimated || line.demand_overridden
    ? perDay(line.demand)
    : html`<abbr title=${t('product.noDemand')}>—</abbr>`;
}

function Cards({ rows, onChange }) {
  return html`<ul class="record-cards" aria-label=${t('purchasing.title')}>
    ${rows.map((row) => {
      const { line } = row;
      return html`<li class="record-card" data-line=${line.product_id}>
        <p class="record-line"><a href=${`#/products/${line.product_id}`}><${ShopText} text=${line.name} /></a> <${StockBadge} status=${line.stock_status} /></p>
        <p class="record-line">
          <span>${t('products.stock')}: ${number(line.stock_quantity)}</span>
          <span>${t('purchasing.inTransit')}: ${number(line.in_transit)}</span>
          <span>${t('purchasing.demand')}: <${Demand} line=${line} /></span>
        </p>
        <p class="record-line">
          <span>${t('purchasing.daysLeft')}: <${DaysLeft} line=${line} /></span>
          <span>${t('purchasing.delivery')}: ${number(line.delivery_days)}</span>
        </p>
        <div class="card-qty"><label for=${`qty-card-${line.product_id}`}>${t('purchasing.qty')}</label>
          <${QuantityInput} row=${row} id=${`qty-card-${line.product_id}`} onChange=${onChange} /></div>
        <p class="record-line">
          <span>${t('purchasing.unitCost')}: ${money(line.cost)}</span>
          <span class="record-amount" data-line-cost>${row.cost === null ? '—' : money(fromKopecks(row.cost))}</span>
        </p>
        <${Why} line=${line} />
      </li>`;
    })}
  </ul>`;
}

function Table({ rows, totals, onChange }) {
  return html`<div class="table-wrap wide-list purchase-table"><table>
    <caption class="visually-hidden">${t('purchasing.title')}</caption>
    <thead><tr>
      <th scope="col">${t('products.name')}</th>
      <th scope="col" class="no-print">${t('purchasing.status')}</th>
      <th scope="col" class="num">${t('products.stock')}</th>
      <th scope="col" class="num">${t('purchasing.inTransit')}</th>
      <th scope="col" class="num">${t('purchasing.demand')}</th>
      <th scope="col" class="num">${t('purchasing.daysLeft')}</th>
      <th scope="col" class="num">${t('purchasing.delivery')}</th>
      <th scope="col" class="num">${t('purchasing.qty')}</th>
      <th scope="col" class="num">${t('purchasing.unitCost')}</th>
      <th scope="col" class="num">${t('purchasing.lineCost')}</th>
    </tr></thead>
    <tbody>${rows.map((row) => {
      const { line } = row;
      return html`<tr data-line=${line.product_id}>
        <td><a href=${`#/products/${line.product_id}`}><${ShopText} text=${line.name} /></a><${Why} line=${line} /></td>
        <td class="no-print"><${StockBadge} status=${line.stock_status} /></td>
        <td class="num">${number(line.stock_quantity)}</td>
        <td class="num">${number(line.in_transit)}</td>
        <td class="num"><${Demand} line=${line} /></td>
        <td class="num"><${DaysLeft} line=${line} /></td>
        <td class="num">${number(line.delivery_days)}</td>
        <td class="num"><${QuantityInput} row=${row} id=${`qty-${line.product_id}`} onChange=${onChange} /></td>
        <td class="num">${money(line.cost)}</td>
        <td class="num" data-line-cost>${row.cost === null ? '—' : money(fromKopecks(row.cost))}</td>
      </tr>`;
    })}</tbody>
    <tfoot><tr>
      <th scope="row">${t('purchasing.total')}</th>
      <td class="no-print"></td><td colspan="5"></td>
      <td class="num" data-total-units>${number(totals.units)}</td><td></td>
      <td class="num" data-total-cost>${money(totals.cost)}</td>
    </tr></tfoot>
  </table></div>`;
}

function Summary({ totals, loaded, edited, onClear, exported }) {
  return html`<section class="card purchase-summary" aria-labelledby="purchase-total">
    <h2 id="purchase-total" class="visually-hidden">${t('purchasing.total')}</h2>
    <dl class="facts">
      <dt>${t('purchasing.lines')}</dt><dd data-summary="lines">${number(totals.lines)}</dd>
      <dt>${t('purchasing.units')}</dt><dd data-summary="units">${number(totals.units)}</dd>
      <dt>${t('purchasing.total')}</dt><dd class="big" data-summary="cost">${money(totals.cost)}</dd>
    </dl>
    ${totals.withoutCost ? html`<p class="notice warn" data-summary="without-cost">${t('purchasing.withoutCost', { n: number(totals.withoutCost) })}</p>` : null}
    ${totals.invalid ? html`<p class="notice warn" role="alert">${t('purchasing.invalidLines', { n: number(totals.invalid) })}</p>` : null}
    ${loaded.items.length < loaded.totals.lines ? html`<p class="notice warn">${t('purchasing.truncated', { shown: number(loaded.items.length), all: number(loaded.totals.lines) })}</p>` : null}
    <div class="buttons no-print">
      <button type="button" onClick=${() => window.print()}>${t('purchasing.print')}</button>
      ${edited ? html`<button type="button" class="secondary" onClick=${onClear}>${t('purchasing.reset')}</button>` : null}
    </div>
    ${edited ? html`<p class="hint no-print">${t('purchasing.editedHint')}</p>` : null}
    <${ExportButtons} what="purchasing" params=${exported} />
  </section>`;
}

function CategoryFilter({ category }) {
  const categories = useLoad(() => api('products/categories'), []);
  return html`<form class="filters no-print" aria-label=${t('filters.label')} onSubmit=${(e) => e.preventDefault()}>
    <div class="field"><label for="purchase-category">${t('products.category')}</label>
      <select id="purchase-category" value=${category} onChange=${(e) => go('/purchasing', { category: e.currentTarget.value })}>
        <option value="">${t('filters.all')}</option>
        ${(categories.data || []).map((c) => html`<option value=${c.name}>${c.name}</option>`)}
      </select></div>
    <${ApiErrorBox} error=${categories.error} doing=${t('products.categoriesDoing')} />
  </form>`;
}

export function PurchasingPage({ params }) {
  const category = params.get('category') || '';
  const list = useLoad(() => api(`purchasing${query({ category, limit: LIMIT })}`), [category]);
  const { draft, set, clear } = useDraft();
  useEffect(() => rememberList('/purchasing'), [params.toString()]);
  const loaded = list.data;
  const rows = loaded ? loaded.items.map((line) => ordered(line, draft)) : [];
  const totals = totalsOf(rows);
  const edited = rows.some((r) => r.changed);
  return html`<section class="page purchasing">
    <h1>${t('purchasing.title')} <span class="print-only">${t('purchasing.printedOn', { day: day(shopToday()) })}${category ? ` · ${category}` : ''}</span></h1>
    <p class="hint no-print">${t('purchasing.intro')}</p>
    <${CategoryFilter} category=${category} />
    <${Loading} when=${list.loading} />
    <${ApiErrorBox} error=${list.error} doing=${t('purchasing.doing')} />
    ${loaded
      ? rows.length === 0
        ? html`<p class="notice" data-empty>${t('purchasing.none')}</p>`
        : html`<div class="results" aria-busy=${list.loading ? 'true' : 'false'}>
            <${Summary} totals=${totals} loaded=${loaded} edited=${edited} onClear=${clear}
              exported=${{ category, qty: rows.filter((r) => r.changed && r.valid).map((r) => `${r.line.product_id}:${r.qty}`) }} />
            <${Cards} rows=${rows} onChange=${set} />
            <${Table} rows=${rows} totals=${totals} onChange=${set} />
          </div>`
      : null}
  </section>`;
}
