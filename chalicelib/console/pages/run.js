// One sync run, with the records it quarantined and why (the payload as the shop sent it).
import { html } from '../lib.js';
import { api } from '../api.js';
import { t } from '../i18n.js';
import { dateTimeLong, seconds } from '../format.js';
import { ApiErrorBox, Badge, Loading, useLoad } from '../ui.js';
import { runLine } from './overview.js';

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
          </dl>
          <p class="run-line">${runLine(r)}</p>
          <h2>${t('run.quarantined', { n: r.quarantined.length })}</h2>
          ${r.quarantined.length === 0 ? html`<p>${t('run.noQuarantine')}</p>` : null}
          ${r.quarantined.map(
            (q) => html`<article class="card quarantined">
              <h3>${t('run.externalId')}: ${q.external_id ?? '—'}</h3>
              <p><strong>${t('run.reason')}:</strong> ${q.reason}</p>
              <pre tabindex="0" aria-label=${t('run.payload')}>${JSON.stringify(q.payload, null, 2)}</pre>
            </article>`,
          )}`
      : null}
  </section>`;
}
