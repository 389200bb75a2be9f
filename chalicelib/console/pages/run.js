// One sync run, with the records it quarantined and why (the payload as the shop sent it).
import { html } from '../lib.js';
import { api } from '../api.js';
import { detailText, t } from '../i18n.js';
import { dateTimeLong, number, seconds } from '../format.js';
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

// One list of the shape report: each field (or status) as the shop names it, and in how many records.
function Counted({ title, rows, name }) {
  if (rows.length === 0) return null;
  return html`<h3>${title}</h3>
    <ul class="shape-list">
      ${rows.map((row) => html`<li><code><${ShopText} text=${row[name]} /></code> — ${t('shape.records', { n: number(row.records) })}</li>`)}
    </ul>`;
}

// What the run's records said of the shop's shape beside what the service reads (docs/sync.md,
// "Shape drift"): a drift first and plainly, then what differed.
function ShapeSection({ shape, resource }) {
  if (!shape) return null;
  const same = !shape.unknown_fields.length && !shape.missing_fields.length && !shape.new_statuses.length;
  return html`<section class="shape" aria-labelledby="shape-title">
    <h2 id="shape-title">${t('shape.title')}</h2>
    ${shape.drift
      ? html`<div class="held-card" role="alert">
          <p class="held-what">${t(`shape.drift.${resource}`)}</p>
          ${shape.drift_reasons.map((reason) => html`<p>${t(`shape.reason.${reason}`, { percent: shape.quarantined_percent.replace('.', ',') })}</p>`)}
        </div>`
      : null}
    <p>${t('shape.examined', { n: number(shape.examined) })}</p>
    ${same ? html`<p>${t('shape.same')}</p>` : null}
    <${Counted} title=${t('shape.missing')} rows=${shape.missing_fields} name="field" />
    <${Counted} title=${t('shape.unknown')} rows=${shape.unknown_fields} name="field" />
    ${shape.unknown_fields_more ? html`<p>${t('shape.more', { n: number(shape.unknown_fields_more) })}</p>` : null}
    <${Counted} title=${t('shape.statuses')} rows=${shape.new_statuses} name="status" />
  </section>`;
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
          <${ShapeSection} shape=${r.shape} resource=${r.resource} />
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
