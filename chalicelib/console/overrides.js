// Staff edits beside the shop's values: which fields are overridden, what the shop says, and the
// way back (DELETE .../overrides/{field}). Orders and products share it.
import { html } from './lib.js';
import { api } from './api.js';
import { t } from './i18n.js';
import { EditedMark } from './ui.js';

// A staff edit of `field`: the "edited" mark, the value it replaces when there is one (the shop's, by
// default; `valueKey` names another wording: computed, default), and a revert button.
export function OverrideLine({ field, overridden, shopValue, valueKey = 'override.shop', revertLabel, onRevert, disabled }) {
  if (!overridden) return null;
  return html`<p class="override" data-override=${field}>
    <${EditedMark} />
    ${shopValue !== undefined ? html`<span class="shop-value">${t(valueKey, { value: shopValue })}</span>` : null}
    <button type="button" class="link" disabled=${disabled} onClick=${() => onRevert(field)}>
      ${revertLabel || t('override.revert')}
    </button>
  </p>`;
}

// Drop an edit through the form's action (action.js): `(field) => ...` DELETEs .../overrides/{field};
// `done(resource, field)` gets what the API answers; the notice says the shop's value is back (a field
// the shop sends) or that the edit was cleared (a staff-only field, a default, a computed value).
export function reverter(action, path, done, shopFields) {
  return (field) => action.run(() => api(`${path}/overrides/${field}`, { method: 'DELETE' }), {
    busy: 'revert',
    done: (saved) => done(saved, field),
    notice: { text: t(shopFields.includes(field) ? 'override.reverted' : 'override.cleared') },
  });
}

// A product's daily sales as shown: the staff's value, or the service's estimate; null (shown "—")
// when there were too few days in stock for one (the API's 0 then is no number to show).
export function dailySales(product) {
  const a = product.analytics;
  return a.demand_estimated || product.overridden.includes('avg_daily_sales_30d') ? a.avg_daily_sales_30d : null;
}
