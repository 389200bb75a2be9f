// Purchasing: every product to order now, most urgent first (GET /api/purchasing), with the order's
// total. A line's quantity can be changed here for the order being made: the change lives in this tab
// (sessionStorage) and touches nothing in the analytics. Printed, the page is one table for a supplier.
import { html, useCallback, useEffect, useMemo, useState } from '../lib.js';
import { api, query } from '../api.js';
import { language, t } from '../i18n.js';
import { day, fromKopecks, kopecks, money, number, perDay, shopToday } from '../format.js';
import { go, rememberList } from '../router.js';
import { recommendationText } from '../recommendation.js';
import { ApiErrorBox, ExportButtons, Loading, ShopText, StockBadge, useLoad } from '../ui.js';

const LIMIT = 2000; // the API's largest page: a purchasing list longer than this is narrowed by category
const DRAFT = 'strattera.purchase';

// The quantities changed for this order, by product id: {"12": "40"} (as typed, checked on use).
// `set` stays the same function from render to render (the lines drawn before keep theirs).
function useDraft() {
  const [draft, setDraft] = useState(() => {
    try {
      return JSON.parse(sessionStorage.getItem(DRAFT) || '{}');
    } catch {
      return {};
    }
  });
  const save = useCallback((change) => {
    setDraft((before) => {
      const next = change(before);
      sessionStorage.setItem(DRAFT, JSON.stringify(next));
      return next;
    });
  }, []);
  const set = useCallback((id, text, recommended) => save((before) => {
    const next = { ...before };
    if (text.trim() === String(recommended)) delete next[id];
    else next[id] = text;
    return next;
  }), [save]);
  const clear = useCallback(() => save(() => ({})), [save]);
  return { draft, set, clear };
}

// The list is drawn a hundred lines at a time, one batch a frame: the first lines and the totals
// (computed from every line) are on screen at once, the rest follow (2,000 lines, cards and table,
// take a second or more to draw on a phone), and printing draws them all first. A batch already
// drawn is not drawn again unless one of its lines changed.
const BATCH = 100;

function useDrawn(total, list) {
  const [drawn, setDrawn] = useState(BATCH);
  const drawAll = useCallback(() => setDrawn(Infinity), []);
  useEffect(() => setDrawn(BATCH), [list]);
  useEffect(() => {
    if (drawn >= total) return undefined;
    let timer;
    const frame = requestAnimationFrame(() => {
      timer = setTimeout(() => setDrawn((n) => n + BATCH), 0);
    });
    return () => {
      cancelAnimationFrame(frame);
      clearTimeout(timer);
    };
  }, [drawn, total]);
  // The browser's own print (Ctrl+P): its listener's render runs before the page is laid out for paper.
  useEffect(() => {
    window.addEventListener('beforeprint', drawAll);
    return () => window.removeEventListener('beforeprint', drawAll);
  }, [drawAll]);
  return { drawn, drawAll };
}

// The print button: every line drawn first, then the print dialog (called from the click, the
// beforeprint listener's render would come only after the page was laid out).
function usePrint(drawn, total, drawAll) {
  const [asked, setAsked] = useState(false);
  useEffect(() => {
    if (asked && drawn >= total) {
      setAsked(false);
      window.print();
    }
  }, [asked, drawn, total]);
  return () => {
    drawAll();
    setAsked(true);
  };
}

function batches(rows, drawn) {
  const found = [];
  for (let start = 0; start < Math.min(rows.length, drawn); start += BATCH) found.push(rows.slice(start, start + BATCH));
  return found;
}

// A batch's lines, made again only when one of them changed (the same lines, the same texts) or the
// language did.
function useBatch(rows, make) {
  const texts = rows.map((r) => r.text).join('\n');
  return useMemo(() => rows.map(make), [rows[0].line, rows.length, texts, language()]);
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

// The sentence is made when it is opened: a list of 2,000 lines would otherwise make 4,000 of them
// (the cards' and the table's) for the few anyone reads.
function Why({ line }) {
  const [open, setOpen] = useState(false);
  return html`<details class="why no-print" onToggle=${(e) => setOpen(e.currentTarget.open)}>
    <summary>${t('purchasing.why')}</summary>
    ${open ? html`<p>${recommendationText(line.recommendation, line.demand_estimated || line.demand_overridden)}</p>` : null}
    ${open && line.recommended_overridden ? html`<p>${t('purchasing.staffQty', { qty: number(line.recommended_qty) })}</p>` : null}
  </details>`;
}

function Demand({ line }) {
  return line.demand_estimated || line.demand_overridden
    ? perDay(line.demand)
    : html`<abbr title=${t('product.noDemand')}>—</abbr>`;
}

function CardBatch({ rows, onChange }) {
  return useBatch(rows, (row) => {
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
  });
}

function Cards({ rows, drawn, onChange }) {
  return html`<ul class="record-cards" aria-label=${t('purchasing.title')}>
    ${batches(rows, drawn).map((batch) => html`<${CardBatch} key=${batch[0].line.product_id} rows=${batch} onChange=${onChange} />`)}
  </ul>`;
}

function TableBatch({ rows, onChange }) {
  return html`<tbody>${useBatch(rows, (row) => {
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
  })}</tbody>`;
}

function Table({ rows, drawn, totals, onChange }) {
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
    ${batches(rows, drawn).map((batch) => html`<${TableBatch} key=${batch[0].line.product_id} rows=${batch} onChange=${onChange} />`)}
    <tfoot><tr>
      <th scope="row">${t('purchasing.total')}</th>
      <td class="no-print"></td><td colspan="5"></td>
      <td class="num" data-total-units>${number(totals.units)}</td><td></td>
      <td class="num" data-total-cost>${money(totals.cost)}</td>
    </tr></tfoot>
  </table></div>`;
}

function Summary({ totals, loaded, edited, onClear, onPrint, exported }) {
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
      <button type="button" onClick=${onPrint}>${t('purchasing.print')}</button>
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
  const { drawn, drawAll } = useDrawn(rows.length, loaded);
  const print = usePrint(drawn, rows.length, drawAll);
  return html`<section class="page purchasing">
    <h1>${t('purchasing.title')} <span class="print-only">${t('purchasing.printedOn', { day: day(shopToday()) })}${category ? ` · ${category}` : ''}</span></h1>
    <p class="hint no-print">${t('purchasing.intro')}</p>
    <${CategoryFilter} category=${category} />
    <${Loading} when=${list.loading} />
    <${ApiErrorBox} error=${list.error} doing=${t('purchasing.doing')} />
    ${loaded
      ? rows.length === 0
        ? html`<p class="notice" data-empty>${t('purchasing.none')}</p>`
        : html`<div class="results" aria-busy=${list.loading || drawn < rows.length ? 'true' : 'false'}>
            <${Summary} totals=${totals} loaded=${loaded} edited=${edited} onClear=${clear} onPrint=${print}
              exported=${{ category, qty: rows.filter((r) => r.changed && r.valid).map((r) => `${r.line.product_id}:${r.qty}`) }} />
            <${Cards} rows=${rows} drawn=${drawn} onChange=${set} />
            <${Table} rows=${rows} drawn=${drawn} totals=${totals} onChange=${set} />
          </div>`
      : null}
  </section>`;
}
