// One product: price, stock, cost and visibility edits, the analytics inputs and overrides (each
// edit marked, with the shop's value and the way back), and sales and stock per day.
import { html, useState } from '../lib.js';
import { backTo } from '../router.js';
import { api, query } from '../api.js';
import { errorText, t } from '../i18n.js';
import { amount, dateTime, money, number, perDay } from '../format.js';
import { BarChart, LineChart } from '../chart.js';
import { ApiErrorBox, Badge, ChartHead, Field, Loading, Notice, ReadOnlyLine, ShopText, StockBadge, canEdit, useLoad, useSession } from '../ui.js';
import { OverrideLine, dailySales, reverter } from '../overrides.js';
import { useAction } from '../action.js';
import { recommendationText } from '../recommendation.js';
import { Timeline } from '../timeline.js';

// One value, one route: PUT /api/products/{id}/<route> with {<key>: value}.
const SINGLE = [
  { field: 'price', route: 'price', key: 'price', money: true, shop: true },
  { field: 'stock_quantity', route: 'stock', key: 'stock_quantity', integer: true, shop: true },
  { field: 'cost', route: 'cost', key: 'cost', money: true },
];
// The analytics' inputs; their defaults come with each product (analytics.defaults), from the database.
const INPUTS = [{ field: 'min_stock' }, { field: 'delivery_days' }, { field: 'in_transit' }, { field: 'service_level' }];
const DECIMALS = ['avg_daily_sales_30d', 'service_level']; // sent as strings, the rest as integers
const COMPUTED = ['avg_daily_sales_30d', 'days_to_zero', 'recommended_qty', 'trend'];
const TRENDS = ['growing', 'stable', 'falling'];

// A computed value as the page shows it elsewhere: daily sales with two decimals, the rest as numbers.
function shown(field, value) {
  return field === 'avg_daily_sales_30d' ? perDay(value) : number(value);
}

// What a person typed, as the API takes it: integers as numbers, money and decimals as strings.
function parsed(text, { integer }) {
  const value = text.trim().replace(',', '.').replace(/\s/g, '');
  if (integer && /^\d+$/.test(value)) return Number(value);
  return value;
}

// One edit form's write path (action.js): `save(route, body, {done, text})` PUTs, keeping what was
// typed on failure; `revert(field)` DELETEs the override. `done(product)` resets the form from the
// answer in the same render as the message.
const SHOP_FIELDS = SINGLE.filter((s) => s.shop).map((s) => s.field);

function useEditing(product, onSaved, reset = () => {}) {
  const action = useAction();
  const done = (saved) => {
    reset(saved);
    onSaved(saved);
  };
  const save = (route, body, text = t('common.saved')) =>
    action.run(() => api(`products/${product.id}/${route}`, { method: 'PUT', body }), {
      busy: 'save', done, notice: { text },
    });
  const revert = reverter(action, `products/${product.id}`, done, SHOP_FIELDS);
  return { error: action.error, notice: action.notice, say: action.say, saving: action.busy === 'save', busy: Boolean(action.busy), save, revert };
}

// A field's text as the page shows the value: money the shop's way ("1 990,00"), a count as it is.
function textOf(product, spec) {
  const value = product[spec.field];
  if (value === null || value === undefined) return '';
  return spec.money ? amount(value) : String(value);
}

function SingleValue({ spec, product, onSaved }) {
  const editable = canEdit(useSession());
  const [value, setValue] = useState(textOf(product, spec));
  const edit = useEditing(product, onSaved, (saved) => setValue(textOf(saved, spec)));
  const id = `product-${spec.field}`;
  const save = (e) => {
    e.preventDefault();
    edit.save(spec.route, { [spec.key]: parsed(value, spec) });
  };
  const shopValue = spec.shop && product.upstream[spec.field] !== undefined
    ? (spec.money ? money(product.upstream[spec.field]) : number(product.upstream[spec.field]))
    : undefined;
  return html`<form class="single" onSubmit=${save} data-field=${spec.field}>
    <${Field} id=${id} label=${t(`product.field.${spec.field}`)} error=${edit.error ? edit.error.fieldMessage(spec.key) || errorText(edit.error) : null}>
      <div class="inline">
        <input id=${id} inputmode=${spec.integer ? 'numeric' : 'decimal'} value=${value} disabled=${!editable}
          aria-invalid=${edit.error ? 'true' : undefined} onInput=${(e) => setValue(e.currentTarget.value)} />
        <button type="submit" disabled=${!editable || edit.busy}>${edit.saving ? t('common.saving') : t('common.save')}</button>
      </div>
      <${OverrideLine} field=${spec.field} overridden=${product.overridden.includes(spec.field)} shopValue=${shopValue}
        revertLabel=${spec.shop ? undefined : t('override.clear')} disabled=${!editable || edit.busy} onRevert=${edit.revert} />
    <//>
    <${Notice} notice=${edit.notice} />
  </form>`;
}

function Visibility({ product, onSaved }) {
  const editable = canEdit(useSession());
  const edit = useEditing(product, onSaved);
  const toggle = (e) => {
    const hidden = e.currentTarget.checked;
    edit.save('visibility', { hidden }, hidden ? t('product.nowHidden') : t('product.nowShown'));
  };
  return html`<div class="single">
    <label class="check"><input type="checkbox" id="product-hidden" checked=${product.is_hidden}
      disabled=${!editable || edit.busy} onChange=${toggle} /> ${t('product.field.is_hidden')}</label>
    <p class="hint">${t('product.hiddenHint')}</p>
    <${OverrideLine} field="is_hidden" overridden=${product.overridden.includes('is_hidden')}
      revertLabel=${t('override.clear')} disabled=${!editable || edit.busy} onRevert=${edit.revert} />
    <${ApiErrorBox} error=${edit.error} doing=${t('product.saving')} />
    <${Notice} notice=${edit.notice} />
  </div>`;
}

function analyticsForm(product) {
  const a = product.analytics;
  const text = (field) => (product.overridden.includes(field) || INPUTS.some((i) => i.field === field) ? String(a[field] ?? '') : '');
  const written = (field) => (field === 'service_level' ? number(a[field]) : text(field)); // 97,5 as it is read here
  return Object.fromEntries([...INPUTS.map((i) => i.field), ...COMPUTED].map((f) => [f, written(f)]));
}

// What the service computes for an overridden value (the API sends it beside the override).
function computedText(product, field) {
  const value = product.analytics.computed[field];
  if (value === undefined) return undefined;
  if (value === null || (field === 'avg_daily_sales_30d' && !product.analytics.demand_estimated)) return '—';
  return field === 'trend' ? t(`trend.${value}`) : shown(field, value);
}

// How the computed recommended quantity is reached, in one sentence (the API sends its parts).
function RecommendationHow({ product }) {
  const estimated = product.analytics.demand_estimated || product.overridden.includes('avg_daily_sales_30d');
  return html`<p class="hint" data-fact="recommendation">${recommendationText(product.analytics.recommendation, estimated)}</p>`;
}

function Analytics({ product, onSaved }) {
  const editable = canEdit(useSession());
  const [form, setForm] = useState(analyticsForm(product));
  const edit = useEditing(product, onSaved, (saved) => setForm(analyticsForm(saved)));
  const save = (e) => {
    e.preventDefault();
    const before = analyticsForm(product);
    const changes = {};
    for (const [field, value] of Object.entries(form)) {
      if (value === before[field]) continue;
      changes[field] = value === '' ? null : field === 'trend' ? value : parsed(value, { integer: !DECIMALS.includes(field) });
    }
    if (!Object.keys(changes).length) {
      edit.say({ text: t('common.nothingChanged'), kind: 'warn' });
      return;
    }
    edit.save('analytics', changes);
  };
  const input = (field, extra = {}) => {
    const id = `analytics-${field}`;
    const set = (e) => setForm({ ...form, [field]: e.currentTarget.value });
    const control = field === 'trend'
      ? html`<select id=${id} value=${form.trend} onChange=${set} disabled=${!editable}>
          <option value="">${t('product.computed', { value: t(`trend.${product.analytics.computed.trend ?? product.analytics.trend}`) })}</option>
          ${TRENDS.map((s) => html`<option value=${s}>${t(`trend.${s}`)}</option>`)}
        </select>`
      : html`<input id=${id} inputmode="decimal" value=${form[field]} onInput=${set} disabled=${!editable}
          placeholder=${extra.placeholder || ''} />`;
    return html`<${Field} id=${id} label=${t(`product.field.${field}`)} hint=${extra.hint}
        error=${edit.error ? edit.error.fieldMessage(field) : null}>
      ${control}
      <${OverrideLine} field=${field} overridden=${product.overridden.includes(field)}
        shopValue=${extra.shopValue} valueKey=${extra.valueKey} revertLabel=${extra.revertLabel}
        disabled=${!editable || edit.busy} onRevert=${edit.revert} />
    <//>`;
  };
  return html`<form class="analytics-form" onSubmit=${save} aria-labelledby="analytics-title">
    <h2 id="analytics-title">${t('product.analytics')}</h2>
    <${ApiErrorBox} error=${edit.error} doing=${t('product.saving')} />
    <fieldset><legend>${t('product.inputs')}</legend>
      <div class="grid">${INPUTS.map((i) => input(i.field, {
        shopValue: number(product.analytics.defaults[i.field]), valueKey: 'override.defaultValue', revertLabel: t('override.default'),
        hint: t('product.defaultHint', { value: number(product.analytics.defaults[i.field]) }),
      }))}</div>
    </fieldset>
    <fieldset><legend>${t('product.overrides')}</legend>
      <p class="hint">${t('product.overridesHint')}</p>
      <div class="grid">${COMPUTED.map((f) => input(f, {
        placeholder: f === 'trend' ? '' : t('product.computed', { value: shown(f, f === 'avg_daily_sales_30d' ? dailySales(product) : product.analytics[f]) }),
        shopValue: computedText(product, f), valueKey: 'product.computed', revertLabel: t('override.computed'),
      }))}</div>
    </fieldset>
    <div class="buttons"><button type="submit" disabled=${!editable || edit.busy}>${edit.saving ? t('common.saving') : t('common.save')}</button></div>
    <${Notice} notice=${edit.notice} />
  </form>`;
}

function Trends({ product }) {
  const [days, setDays] = useState(30);
  const trends = useLoad(() => api(`products/${product.id}/trends${query({ days })}`), [days, product.updated_at]);
  return html`<section aria-labelledby="trends-title">
    <${ChartHead} id="trends-title" title=${t('product.trends')} days=${days} choices=${[30, 90, 365]} onChange=${setDays} />
    <${Loading} when=${trends.loading} />
    <${ApiErrorBox} error=${trends.error} doing=${t('product.trendsDoing')} />
    ${trends.data
      ? html`<${BarChart} label=${t('product.unitsSold')} format=${number}
            points=${trends.data.map((p) => ({ date: p.date, value: p.sales_qty }))} />
          <${LineChart} label=${t('product.stockLevel')} format=${number}
            points=${trends.data.map((p) => ({ date: p.date, value: p.stock_level }))} />`
      : null}
  </section>`;
}

export function ProductPage({ id }) {
  const loaded = useLoad(() => api(`products/${encodeURIComponent(id)}`), [id]);
  const p = loaded.data;
  return html`<section class="page">
    <p><a href=${backTo('/products')}>← ${t('nav.products')}</a></p>
    <${Loading} when=${loaded.loading && !p} />
    <${ApiErrorBox} error=${loaded.error} doing=${t('product.doing')} />
    ${p
      ? html`<h1><${ShopText} text=${p.name} /> <${StockBadge} status=${p.analytics.stock_status} />${p.is_hidden ? html` <${Badge} kind="hidden">${t('products.hiddenBadge')}<//>` : null}</h1>
          ${p.deleted_upstream_at ? html`<p class="notice warn">${t('product.gone', { when: dateTime(p.deleted_upstream_at) })}</p>` : null}
          <${ReadOnlyLine} />
          <div class="columns">
            <section class="card" aria-labelledby="product-facts">
              <h2 id="product-facts">${t('product.facts')}</h2>
              <dl class="facts">
                <dt>${t('products.category')}</dt><dd><${ShopText} text=${p.category} /></dd>
                <dt>${t('product.brand')}</dt><dd><${ShopText} text=${p.brand} /></dd>
                <dt>${t('products.price')}</dt><dd data-fact="price">${money(p.price)}</dd>
                <dt>${t('product.oldPrice')}</dt><dd>${money(p.old_price)}</dd>
                <dt>${t('products.cost')}</dt><dd data-fact="cost">${money(p.cost)}</dd>
                <dt>${t('products.margin')}</dt><dd data-fact="margin">${money(p.margin)}</dd>
                <dt>${t('products.stock')}</dt><dd>${number(p.stock_quantity)}</dd>
                <dt>${t('products.avgSales')}</dt><dd data-fact="avg-sales">${perDay(dailySales(p))}</dd>
                <dt>${t('product.demandDays')}</dt><dd data-fact="demand-days">${number(p.analytics.demand_days)}${p.analytics.demand_estimated ? null : ` · ${t('product.noDemand')}`}</dd>
                <dt>${t('products.daysToZero')}</dt><dd>${number(p.analytics.days_to_zero)}</dd>
                <dt>${t('products.recommended')}</dt><dd>${number(p.analytics.recommended_qty)}</dd>
                <dt>${t('product.trend')}</dt><dd>${t(`trend.${p.analytics.trend}`)}</dd>
                <dt>${t('product.abc')}</dt><dd data-fact="abc">${p.analytics.abc_class ?? '—'}</dd>
                <dt>${t('product.lastSale')}</dt><dd>${dateTime(p.analytics.last_sale_at)}</dd>
              </dl>
              <${RecommendationHow} product=${p} />
            </section>
            <section class="card" aria-labelledby="product-edits">
              <h2 id="product-edits">${t('product.edits')}</h2>
              ${SINGLE.map((spec) => html`<${SingleValue} key=${`${p.id}-${spec.field}`} spec=${spec} product=${p} onSaved=${loaded.replace} />`)}
              <${Visibility} key=${p.id} product=${p} onSaved=${loaded.replace} />
            </section>
          </div>
          <${Analytics} key=${p.id} product=${p} onSaved=${loaded.replace} />
          <${Trends} product=${p} />
          <${Timeline} path=${`products/${p.id}`} version=${JSON.stringify(p)} />`
      : null}
  </section>`;
}
