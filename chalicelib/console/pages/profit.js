// Profit over shop-local days (GET /api/profit, /api/profit/categories, /api/profit/products):
// revenue, cost of goods at the time of sale, gross profit and margin per period, category and
// product, each with the part of its revenue of no known cost beside it (never taken as cost 0).
import { html, useEffect } from '../lib.js';
import { api, query } from '../api.js';
import { language, t } from '../i18n.js';
import { day, formatter, money, number } from '../format.js';
import { go, rememberList } from '../router.js';
import { ApiErrorBox, ExportButtons, Loading, Pager, ShopText, useFilterForm, useLoad } from '../ui.js';

const GROUPS = ['day', 'week', 'month'];
const PRODUCTS = 50;

function filtersFrom(params) {
  return {
    date_from: params.get('date_from') || '',
    date_to: params.get('date_to') || '',
    group: params.get('group') || 'day',
    offset: Number(params.get('offset') || 0),
  };
}

// "37,5 %": one decimal always, as the API computes it, so that a column lines up.
const PERCENT = new Intl.NumberFormat('ru-RU', { minimumFractionDigits: 1, maximumFractionDigits: 1 });

function percent(value) {
  if (value === null || value === undefined) return '—';
  const text = PERCENT.format(Number(value));
  return `${text}\u00a0%`;
}

// "1 171 240,00 ₽ · 92 %": revenue of no known cost and its share, or a plain dash when there is none.
function Uncosted({ figures }) {
  if (Number(figures.uncosted_revenue) === 0) return html`<span data-uncosted>—</span>`;
  return html`<span data-uncosted class="uncosted"><span>${money(figures.uncosted_revenue)}</span> · <span>${percent(figures.uncosted_share)}</span></span>`;
}

// A profit of goods none of whose cost is known is not 0: it is unknown.
function profitOf(figures) {
  return Number(figures.costed_revenue) === 0 && Number(figures.revenue) !== 0 ? '—' : money(figures.gross_profit);
}

function periodLabel(period, group) {
  if (group === 'day') return day(period.first_day);
  if (group === 'week') return `${day(period.first_day)} – ${day(period.last_day)}`;
  const name = formatter('date', language() === 'ru' ? 'ru-RU' : 'en-GB', { month: 'long', year: 'numeric', timeZone: 'UTC' })
    .format(new Date(`${period.start}T00:00:00Z`));
  const whole = period.first_day === period.start && day(period.last_day) === day(monthEnd(period.start));
  return whole ? name : `${name} (${day(period.first_day)} – ${day(period.last_day)})`;
}

function monthEnd(start) {
  const [y, m] = start.split('-').map(Number);
  return new Date(Date.UTC(y, m, 0)).toISOString().slice(0, 10);
}

function Filters({ applied, shown }) {
  const { form, set, submit } = useFilterForm({ ...applied, date_from: applied.date_from || shown.date_from, date_to: applied.date_to || shown.date_to }, '/profit');
  return html`<form class="filters" onSubmit=${submit} aria-label=${t('filters.label')}>
    <div class="row">
      <div class="field"><label for="profit-from">${t('orders.dateFrom')}</label>
        <input id="profit-from" type="date" value=${form.date_from} onInput=${set('date_from')} /></div>
      <div class="field"><label for="profit-to">${t('orders.dateTo')}</label>
        <input id="profit-to" type="date" value=${form.date_to} onInput=${set('date_to')} /></div>
      <div class="field"><label for="profit-group">${t('profit.group')}</label>
        <select id="profit-group" value=${form.group} onChange=${set('group')}>
          ${GROUPS.map((g) => html`<option value=${g}>${t(`profit.group.${g}`)}</option>`)}
        </select></div>
    </div>
    <div class="buttons">
      <button type="submit">${t('filters.apply')}</button>
      <a class="button secondary" href="#/profit">${t('filters.reset')}</a>
    </div>
  </form>`;
}

function Totals({ totals }) {
  return html`<section class="card profit-totals" aria-labelledby="profit-totals">
    <h2 id="profit-totals">${t('profit.totals')}</h2>
    <dl class="facts">
      <dt>${t('profit.revenue')}</dt><dd data-total="revenue">${money(totals.revenue)}</dd>
      <dt>${t('profit.cogs')}</dt><dd data-total="cogs">${money(totals.cogs)}</dd>
      <dt>${t('profit.grossProfit')}</dt><dd class="big" data-total="gross_profit">${profitOf(totals)}</dd>
      <dt>${t('profit.margin')}</dt><dd data-total="margin">${percent(totals.margin)}</dd>
      <dt>${t('profit.uncosted')}</dt><dd data-total="uncosted"><${Uncosted} figures=${totals} /></dd>
    </dl>
    ${Number(totals.uncosted_revenue) > 0 ? html`<p class="notice warn">${t('profit.uncostedNote', { share: percent(totals.uncosted_share) })}</p>` : null}
    <p class="hint">${t('profit.how')}</p>
  </section>`;
}

// One table of figures (periods, categories or products), and the same rows as cards on a phone.
function FiguresTable({ id, title, rows, label, count, exported }) {
  return html`<section aria-labelledby=${id} data-table=${id}>
    <h2 id=${id}>${title}</h2>
    <${ExportButtons} what="profit" params=${{ ...exported, table: id }} />
    <ul class="record-cards" aria-label=${title}>
      ${rows.map((row) => html`<li class="record-card">
        <p class="record-line"><span>${label(row)}</span>${count ? html`<span>${count.title}: ${number(row[count.key])}</span>` : null}</p>
        <p class="record-line"><span>${t('profit.revenue')}: ${money(row.revenue)}</span><span>${t('profit.cogs')}: ${money(row.cogs)}</span></p>
        <p class="record-line"><span class="record-amount">${t('profit.grossProfit')}: ${profitOf(row)}</span><span>${t('profit.margin')}: ${percent(row.margin)}</span></p>
        <p class="record-line"><span>${t('profit.uncosted')}: <${Uncosted} figures=${row} /></span></p>
      </li>`)}
    </ul>
    <div class="table-wrap wide-list"><table>
      <caption class="visually-hidden">${title}</caption>
      <thead><tr>
        <th scope="col">${t(`profit.col.${id}`)}</th>
        ${count ? html`<th scope="col" class="num">${count.title}</th>` : null}
        <th scope="col" class="num">${t('profit.revenue')}</th><th scope="col" class="num">${t('profit.cogs')}</th>
        <th scope="col" class="num">${t('profit.grossProfit')}</th><th scope="col" class="num">${t('profit.margin')}</th>
        <th scope="col" class="num">${t('profit.uncosted')}</th>
      </tr></thead>
      <tbody>${rows.map((row) => html`<tr>
        <td>${label(row)}</td>
        ${count ? html`<td class="num">${number(row[count.key])}</td>` : null}
        <td class="num">${money(row.revenue)}</td><td class="num">${money(row.cogs)}</td>
        <td class="num" data-cell="gross_profit">${profitOf(row)}</td><td class="num">${percent(row.margin)}</td>
        <td class="num"><${Uncosted} figures=${row} /></td>
      </tr>`)}</tbody>
    </table></div>
  </section>`;
}

// The three calls go out at once, with the range as asked (the API fills in what is not, the same way
// for each): the categories and products tables cost a read of every product's days in the range.
function Categories({ loaded }) {
  const data = loaded.data;
  const rows = data ? [...data.items, ...(Number(data.unmatched.revenue) ? [{ ...data.unmatched, unmatched: true }] : [])] : [];
  const label = (row) => (row.unmatched ? html`<em>${t('profit.unmatched')}</em>` : row.category === null ? t('profit.noCategory') : html`<${ShopText} text=${row.category} />`);
  return html`<${Loading} when=${loaded.loading} />
    <${ApiErrorBox} error=${loaded.error} doing=${t('profit.doing')} />
    ${data ? html`<${FiguresTable} id="categories" title=${t('profit.byCategory')} rows=${rows} label=${label}
      count=${{ key: 'units', title: t('profit.units') }} exported=${{ date_from: data.date_from, date_to: data.date_to }} />` : null}`;
}

function Products({ loaded, applied }) {
  const data = loaded.data;
  const label = (row) => html`<a href=${`#/products/${row.product_id}`}><${ShopText} text=${row.name} /></a>`;
  return html`<${Loading} when=${loaded.loading} />
    <${ApiErrorBox} error=${loaded.error} doing=${t('profit.doing')} />
    ${data ? html`<${FiguresTable} id="products" title=${t('profit.byProduct')} rows=${data.items} label=${label}
        count=${{ key: 'units', title: t('profit.units') }} exported=${{ date_from: data.date_from, date_to: data.date_to }} />
      <${Pager} total=${data.total} limit=${PRODUCTS} offset=${data.offset} onOffset=${(next) => go('/profit', { ...applied, offset: next })} />` : null}`;
}

export function ProfitPage({ params }) {
  const applied = filtersFrom(params);
  const asked = { date_from: applied.date_from || undefined, date_to: applied.date_to || undefined };
  const range = [applied.date_from, applied.date_to];
  const report = useLoad(() => api(`profit${query({ ...asked, group: applied.group })}`), [...range, applied.group]);
  const categories = useLoad(() => api(`profit/categories${query(asked)}`), range);
  const products = useLoad(() => api(`profit/products${query({ ...asked, limit: PRODUCTS, offset: applied.offset || undefined })}`), [...range, applied.offset]);
  useEffect(() => rememberList('/profit'), [params.toString()]);
  const data = report.data;
  const shown = data ? { date_from: data.date_from, date_to: data.date_to } : null;
  return html`<section class="page profit">
    <h1>${t('profit.title')}</h1>
    <${Filters} applied=${applied} shown=${shown || { date_from: '', date_to: '' }} />
    <${Loading} when=${report.loading} />
    <${ApiErrorBox} error=${report.error} doing=${t('profit.doing')} />
    ${data
      ? html`<div class="results" aria-busy=${report.loading ? 'true' : 'false'}>
          <p class="total">${t('profit.range', { from: day(data.date_from), to: day(data.date_to) })}</p>
          <${Totals} totals=${data.totals} />
          <${FiguresTable} id="periods" title=${t(`profit.by.${data.group}`)} rows=${data.periods}
            label=${(p) => periodLabel(p, data.group)} count=${{ key: 'orders', title: t('profit.orders') }}
            exported=${{ ...shown, group: data.group }} />
          <${Categories} loaded=${categories} />
          <${Products} loaded=${products} applied=${applied} />
        </div>`
      : null}
  </section>`;
}
