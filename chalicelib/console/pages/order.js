// One order: its items (linked to their products), customer, times, and the staff's fields.
import { html, useState } from '../lib.js';
import { api } from '../api.js';
import { backTo } from '../router.js';
import { labelOf, t } from '../i18n.js';
import { dateTime, money, number } from '../format.js';
import { ApiErrorBox, Field, Loading, Notice, ReadOnlyLine, ShopText, StatusBadge, canEdit, useLoad, useSession } from '../ui.js';
import { OverrideLine, reverter } from '../overrides.js';
import { useAction } from '../action.js';
import { STATUSES } from './orders.js';
import { Timeline } from '../timeline.js';

// Staff fields of an order: the API's name, and whether the shop sends it too (then the edit overrides it).
const FIELDS = [
  { name: 'status', shop: true },
  { name: 'customer_phone', type: 'tel' },
  { name: 'customer_email', type: 'email' },
  { name: 'customer_address', multiline: true },
  { name: 'tracking_number' },
  { name: 'notes', multiline: true },
];

function valueOf(order, name) {
  const customer = name.startsWith('customer_') ? order.customer[name.slice('customer_'.length)] : undefined;
  return (customer !== undefined ? customer : order[name]) ?? '';
}

function formOf(order) {
  return Object.fromEntries(FIELDS.map((f) => [f.name, valueOf(order, f.name)]));
}

function StaffForm({ order, onSaved }) {
  const session = useSession();
  const editable = canEdit(session);
  const [form, setForm] = useState(formOf(order));
  const action = useAction();
  // The form shows what the API answered, in the same render as the message that says so.
  const saved = (answer) => {
    setForm(formOf(answer));
    onSaved(answer);
  };
  const revert = reverter(action, `orders/${order.id}`, saved, ['status']);

  const save = (e) => {
    e.preventDefault();
    const before = formOf(order);
    const changes = {};
    for (const f of FIELDS) {
      const value = f.type === 'email' ? form[f.name].trim() : form[f.name];
      if (value !== before[f.name]) changes[f.name] = value === '' && !f.shop ? null : value;
    }
    if (Object.keys(changes).length === 0) {
      action.say({ text: t('common.nothingChanged'), kind: 'warn' });
      return;
    }
    // On failure what was typed stays in the form.
    action.run(() => api(`orders/${order.id}`, { method: 'PUT', body: changes }), {
      busy: 'save', done: saved, notice: { text: t('common.saved') },
    });
  };
  const error = action.error;

  return html`<form class="staff-form" onSubmit=${save} aria-labelledby="staff-fields" novalidate>
    <h2 id="staff-fields">${t('order.staffFields')}</h2>
    <${ReadOnlyLine} />
    <${ApiErrorBox} error=${error} doing=${t('order.saving')} />
    ${FIELDS.map((f) => {
      const id = `order-${f.name}`;
      const message = error && error.fieldMessage ? error.fieldMessage(f.name) : null;
      const set = (e) => setForm({ ...form, [f.name]: e.currentTarget.value });
      const input = f.name === 'status'
        ? html`<select id=${id} value=${form.status} onChange=${set} disabled=${!editable}>
            ${[...new Set([...STATUSES, order.status, order.upstream_status])].map((s) => html`<option value=${s}>${labelOf('status', s)}</option>`)}
          </select>`
        : f.multiline
          ? html`<textarea id=${id} rows="3" value=${form[f.name]} onInput=${set} disabled=${!editable}></textarea>`
          : html`<input id=${id} type=${f.type || 'text'} value=${form[f.name]} onInput=${set} disabled=${!editable} />`;
      return html`<${Field} id=${id} label=${t(`order.field.${f.name}`)} error=${message}>
        ${input}
        <${OverrideLine} field=${f.name} overridden=${order.overridden.includes(f.name)}
          shopValue=${f.shop ? labelOf('status', order.upstream_status) : undefined}
          revertLabel=${f.shop ? undefined : t('override.clear')}
          disabled=${!editable || action.busy} onRevert=${revert} />
      <//>`;
    })}
    <div class="buttons">
      <button type="submit" disabled=${!editable || action.busy}>${action.busy === 'save' ? t('common.saving') : t('common.save')}</button>
    </div>
    <${Notice} notice=${action.notice} />
  </form>`;
}

export function OrderPage({ id }) {
  const loaded = useLoad(() => api(`orders/${encodeURIComponent(id)}`), [id]);
  const order = loaded.data;
  return html`<section class="page">
    <p><a href=${backTo('/orders')}>← ${t('nav.orders')}</a></p>
    <${Loading} when=${loaded.loading && !order} />
    <${ApiErrorBox} error=${loaded.error} doing=${t('order.doing')} />
    ${order
      ? html`<h1>${t('order.title', { number: order.external_id })} <${StatusBadge} status=${order.status} /></h1>
          ${order.deleted_upstream_at ? html`<p class="notice warn">${t('order.gone', { when: dateTime(order.deleted_upstream_at) })}</p>` : null}
          <div class="columns">
            <section aria-labelledby="order-facts" class="card">
              <h2 id="order-facts">${t('order.facts')}</h2>
              <dl class="facts">
                <dt>${t('order.created')}</dt><dd>${dateTime(order.created_at)}</dd>
                <dt>${t('order.paid')}</dt><dd>${dateTime(order.paid_at)}</dd>
                <dt>${t('order.shipped')}</dt><dd>${dateTime(order.shipped_at)}</dd>
                <dt>${t('orders.total_amount')}</dt><dd>${money(order.total_amount)}</dd>
                <dt>${t('order.delivery')}</dt><dd>${money(order.delivery_cost)}</dd>
                <dt>${t('order.bonus')}</dt><dd>${money(order.bonus)}</dd>
                <dt>${t('order.card')}</dt><dd><${ShopText} text=${order.bank_card} /></dd>
                <dt>${t('order.synced')}</dt><dd>${dateTime(order.synced_at)}</dd>
              </dl>
            </section>
            <section aria-labelledby="order-customer" class="card">
              <h2 id="order-customer">${t('order.customer')}</h2>
              <dl class="facts">
                <dt>${t('order.name')}</dt><dd><${ShopText} text=${order.customer.name} /></dd>
                <dt>${t('orders.city')}</dt><dd><${ShopText} text=${order.customer.city} /></dd>
                <dt>${t('order.telegram')}</dt><dd>${order.customer.telegram_id ?? '—'}</dd>
              </dl>
            </section>
          </div>
          <section aria-labelledby="order-items">
            <h2 id="order-items">${t('order.items', { n: order.items.length })}</h2>
            <div class="table-wrap"><table>
              <thead><tr><th scope="col">${t('order.item')}</th><th scope="col" class="num wide-only">${t('order.quantity')}</th>
                <th scope="col" class="num wide-only">${t('order.price')}</th><th scope="col" class="num">${t('order.sum')}</th></tr></thead>
              <tbody>${order.items.map(
                (item) => html`<tr>
                  <td>${item.product_id ? html`<a href=${`#/products/${item.product_id}`}><${ShopText} text=${item.name} /></a>` : html`<${ShopText} text=${item.name} /> <span class="muted">(${t('order.unmatched')})</span>`}
                    <span class="phone-only muted">${number(item.quantity)} × ${money(item.price)}</span></td>
                  <td class="num wide-only">${number(item.quantity)}</td><td class="num wide-only">${money(item.price)}</td><td class="num">${money(item.total)}</td>
                </tr>`,
              )}</tbody>
            </table></div>
          </section>
          <${StaffForm} key=${order.id} order=${order} onSaved=${loaded.replace} />
          <${Timeline} path=${`orders/${order.id}`} version=${JSON.stringify(order)} />`
      : null}
  </section>`;
}
