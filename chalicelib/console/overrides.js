// Staff edits beside the shop's values: which fields are overridden, what the shop says, and the
// way back (DELETE .../overrides/{field}). Orders and products share it.
import { html, useState } from './lib.js';
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

// Drop an edit; `done(resource)` gets what the API answers, `failed(error)` the error.
export function useRevert(path, done, failed) {
  const [busy, setBusy] = useState(false);
  const revert = async (field) => {
    setBusy(true);
    try {
      done(await api(`${path}/overrides/${field}`, { method: 'DELETE' }), field);
    } catch (error) {
      failed(error);
    } finally {
      setBusy(false);
    }
  };
  return [revert, busy];
}
