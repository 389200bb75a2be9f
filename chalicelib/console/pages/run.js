// One sync run, with the records it quarantined and why (the payload as the shop sent it).
import { html } from '../lib.js';
import { api } from '../api.js';
import { detailText, t } from '../i18n.js';
import { dateTimeLong, seconds } from '../format.js';
import { ApiErrorBox, Badge, Loading, ShopText, useLoad } from '../ui.js';
import { runLine } from './overview.js';

// The record as the shop sent it, with its invisible direction marks written out (\u202e): they
// would reorder the text shown, and they are what the staff need to see.
const DIRECTION_MARKS = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

function payloadText(payload) {
  return JSON.stringify(payload, null, 2).replace(
    DIRECTION_MARKS,
    (mark) => `\\u${mark.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

// Why a record was quarantined, in the person's language: each detail by its type (the field's name
// as the shop sends it is data); the API's one English line only for a record quarantined before the
// details were kept.
function reasonText(q) {
  if (!q.details || q.details.length === 0) return q.reason;
  return q.details.map((d) => (d.field ? html`<code>${d.field}</code>: ${detailText(d)}` : detailText(d)))
    .reduce((shown, part) => (shown.length ? [...shown, '; ', part] : [part]), []);
}

export function RunPage({ id }) {
  const run = useLoad(() => api(`sync/runs/${encodeURIComponent(id)}`), [id]);
  const r = run.data;
  return html`<section class="page">
    <p><a href="#/">← ${t('nav.overview')}</a></p>
    <h1>${t('run.title', { id })}</h1>
    <${Loading} when=${run.loading} />
    <${ApiErrorBox} error=${run.error} doing=${t('run.doing')} />
    ${r
      ? html`<dl class="facts">
            <dt>${t('runs.status')}</dt><dd><${Badge} kind=${`run-${r.status}`}>${t(`runStatus.${r.status}`)}<//></dd>
            <dt>${t('runs.trigger')}</dt><dd>${t(`trigger.${r.trigger}`)}</dd>
            <dt>${t('runs.started')}</dt><dd>${dateTimeLong(r.started_at)}</dd>
            <dt>${t('runs.finished')}</dt><dd>${dateTimeLong(r.finished_at)}</dd>
            <dt>${t('runs.duration')}</dt><dd>${seconds(r.started_at, r.finished_at)}</dd>
            ${r.error ? html`<dt>${t('run.message')}</dt><dd><code class="run-message">${r.error}</code></dd>` : null}
          </dl>
          <p class="run-line">${runLine(r)}</p>
          <h2>${t('run.quarantined', { n: r.quarantined.length })}</h2>
          ${r.quarantined.length === 0 ? html`<p>${t('run.noQuarantine')}</p>` : null}
          ${r.quarantined.map(
            (q) => html`<article class="card quarantined">
              <h3>${t('run.externalId')}: <${ShopText} text=${q.external_id} /></h3>
              <p><strong>${t('run.reason')}:</strong> ${reasonText(q)}</p>
              <pre tabindex="0" aria-label=${t('run.payload')}>${payloadText(q.payload)}</pre>
            </article>`,
          )}`
      : null}
  </section>`;
}
