// How a computed recommended quantity is reached, in one sentence from the parts the API sends
// (`recommendation`): on a product's page and on each line of the purchasing list.
import { t } from './i18n.js';
import { number, perDay } from './format.js';

// `estimated`: the demand is an estimate or the staff's own value (not "no estimate").
export function recommendationText(r, estimated) {
  const rest = { min: number(r.min_stock), stock: number(r.stock), transit: number(r.in_transit), qty: number(r.quantity) };
  return estimated
    ? t('product.recommendationHow', {
      ...rest, demand: perDay(r.demand), delivery: number(r.delivery_days), cover: number(r.cover_days),
      safety: number(r.safety_stock), level: number(r.service_level), sigma: perDay(r.sigma),
    })
    : t('product.recommendationNoDemand', rest);
}
