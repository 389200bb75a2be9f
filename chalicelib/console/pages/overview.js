// Overview: is the sync working (per resource, with a stale warning), run it now, recent runs,
// and the headline figures with revenue by day.
import { html, useState } from '../lib.js';
import { api, query } from '../api.js';
import { t, translated } from '../i18n.js';
import { addDays, dateTime, money, number, seconds, shopToday } from '../format.js';
import { BarChart } from '../chart.js';
import { useAction } from '../action.js';
import { ApiErrorBox, Badge, ChartHead, Loading, Notice, ReadOnlyLine, canEdit, useLoad, useSession } from '../ui.js';

const RESOURCES = ['products', 'orders'];
const RANGES = [7, 30, 90, 365];

// "получено 1 500: 1 497 без изменений, 3 с ошибками": what a run did, its zeros left out.
const COUNTED = ['created', 'updated', 'unchanged', 'invalid', 'deleted', 'restored', 'held'];

function counts(c) {
  const parts = COUNTED.filter((name) => c[name]).map((name) => t(`run.count.${name}`, { n: number(c[name]) }));
  const fetched = t('run.count.fetched', { n: number(c.fetched) });
  return parts.length ? `${fetched}: ${parts.join(', ')}` : fetched;
}

// Why a run failed or is partial, in the person's language by its code; the service's English
// message only for a run stored without one.
export function runError(run) {
  if (!run.error) return '';
  return translated(`runError.${run.error_code}`, run.error);
}

export function runLine(run) {
  const what = run.not_modified ? t('run.notModified') : counts(run.counts);
  return `${t(`resource.${run.resource}`)}: ${t(`runStatus.${run.status}`)} — ${what}${run.error ? ` (${runError(run)})` : ''}`;
}

// "2 ч 5 мин": how old the shop's newest data is, to the minute; past a day to the hour, past three
// days in days.
function age(totalSeconds) {
  const minutes = Math.floor(totalSeconds / 60);
  const [d, h, m] = [Math.floor(minutes / 1440), Math.floor((minutes % 1440) / 60), minutes % 60];
  if (d >= 3) return t('age.longDays', { d: number(d) });
  if (d) return t('age.days', { d, h });
  if (h) return t('age.hours', { h, m });
  return t('age.minutes', { m });
}

function ResourceCard({ resource, status }) {
  const last = status.last_run;
  const success = status.last_success;
  return html`<section class="card" aria-labelledby=${`res-${resource}`}>
    <h3 id=${`res-${resource}`}>${t(`resource.${resource}`)}</h3>
    ${status.stale
      ? html`<p class="stale" role="alert">${t('sync.stale', { resource: t(`resource.${resource}`) })}</p>`
      : null}
    <dl class="facts">
      <dt>${t('sync.lastRun')}</dt>
      <dd>${last ? html`<a href=${`#/runs/${last.id}`}>${dateTime(last.started_at)}</a> <${Badge} kind=${`run-${last.status}`}>${t(`runStatus.${last.status}`)}<//>` : t('sync.never')}</dd>
      <dt>${t('sync.lastSuccess')}</dt>
      <dd>${success ? dateTime(success.finished_at) : t('sync.never')}</dd>
      <dt>${t('sync.nextRun')}</dt>
      <dd>${dateTime(status.next_expected_run)}</dd>
      <dt>${t(`sync.newest.${resource}`)}</dt>
      <dd data-newest=${resource}>${status.newest_data_at
        ? html`${dateTime(status.newest_data_at)} <span class="muted">(${t('sync.ago', { age: age(status.data_age_seconds) })})</span>`
        : t(`sync.noNewest.${resource}`)}</dd>
    </dl>
  </section>`;
}

// The deletion guard held back what a listing left out (docs/sync.md, "The deletion guard"): shown
// above everything, with the two answers; applying asks once more, since it changes the figures.
function HeldDeletions({ held, onDone }) {
  const session = useSession();
  const action = useAction();
  const [confirming, setConfirming] = useState(null);
  const decide = async (resource, decision) => {
    setConfirming(null);
    await action.run(() => api(`sync/held-deletions/${resource}`, { method: 'POST', body: { action: decision } }), {
      busy: `${resource}-${decision}`,
      notice: (done) => ({ text: t(`held.done.${decision}`, { resource: t(`resource.${done.resource}`), n: number(done.last_decision.records) }) }),
    });
    onDone();
  };
  const shown = held.filter((h) => h.held > 0);
  if (!shown.length && !action.notice && !action.error) return null;
  const disabled = !canEdit(session) || action.busy !== null;
  return html`<section class="held" aria-labelledby="held-title">
    <h2 id="held-title">${t('held.title')}</h2>
    ${shown.map(
      (h) => html`<div class="held-card" role="alert" data-held=${h.resource}>
        <p class="held-what">${t(`held.what.${h.resource}`, { n: number(h.held) })}</p>
        <p>${t('held.since', { when: dateTime(h.held_since) })}${h.first_run_id ? html` <a href=${`#/runs/${h.first_run_id}`}>${t('held.run', { id: h.first_run_id })}</a>` : null}</p>
        <p class="small">${t('held.why')}</p>
        <p class="small muted">${t('held.sample')} ${h.sample.join(', ')}${h.held > h.sample.length ? ' …' : ''}</p>
        ${confirming === h.resource
          ? html`<p class="held-confirm">${t(`held.confirm.${h.resource}`, { n: number(h.held) })}</p>
            <div class="buttons">
              <button type="button" class="danger" disabled=${disabled} onClick=${() => decide(h.resource, 'apply')} data-held-confirm=${h.resource}>${t('held.confirmYes')}</button>
              <button type="button" disabled=${disabled} onClick=${() => setConfirming(null)}>${t('held.confirmNo')}</button>
            </div>`
          : html`<div class="buttons">
              <button type="button" disabled=${disabled} onClick=${() => setConfirming(h.resource)} data-held-apply=${h.resource}>
                ${action.busy === `${h.resource}-apply` ? t('held.applying') : t('held.apply')}
              </button>
              <button type="button" disabled=${disabled} onClick=${() => decide(h.resource, 'ignore')} data-held-ignore=${h.resource}>
                ${action.busy === `${h.resource}-ignore` ? t('held.ignoring') : t('held.ignore')}
              </button>
            </div>`}
      </div>`,
    )}
    <${Notice} notice=${action.notice} />
    <${ApiErrorBox} error=${action.error} doing=${t('held.doing')} />
  </section>`;
}

function SyncControls({ onDone }) {
  const session = useSession();
  const action = useAction();
  const [result, setResult] = useState(null);
  const run = async (which) => {
    setResult(null);
    await action.run(() => api(`sync-${which}`, { method: 'POST' }), {
      busy: which,
      done: (done) => setResult(done.runs),
      // 502: the shop failed; the body still holds the runs, each with its reason.
      failed: (failure) => {
        if (failure.status === 502 && failure.body && failure.body.runs) {
          setResult(failure.body.runs);
          return null;
        }
        return failure;
      },
    });
    onDone();
  };
  const busy = action.busy;
  const disabled = !canEdit(session) || busy !== null;
  return html`<section aria-labelledby="sync-now">
    <h2 id="sync-now">${t('sync.now')}</h2>
    <div class="buttons">
      ${['orders', 'products', 'all'].map(
        (which) => html`<button type="button" disabled=${disabled} onClick=${() => run(which)} data-sync=${which}>
          ${busy === which ? t('sync.running') : t(`sync.button.${which}`)}
        </button>`,
      )}
    </div>
    ${busy ? html`<${Loading} label=${t('sync.running')} />` : null}
    ${result
      ? html`<div class="sync-result" role="status">
          ${result.map((r) => html`<p class=${`run-line run-${r.status}`}>${runLine(r)}</p>`)}
        </div>`
      : null}
    <${ApiErrorBox} error=${action.error} doing=${t('sync.doing')} />
  </section>`;
}

function RecentRuns({ runs }) {
  const withErrors = runs.some((r) => r.error);
  return html`<ul class="record-cards runs-cards" aria-label=${t('runs.title')}>
    ${runs.map(
      (r) => html`<li class="record-card">
        <p class="record-line">
          <span><a href=${`#/runs/${r.id}`}>#${r.id}</a> ${t(`resource.${r.resource}`)}</span>
          <${Badge} kind=${`run-${r.status}`}>${t(`runStatus.${r.status}`)}<//>
        </p>
        <p class="record-line muted"><span>${dateTime(r.started_at)}, ${t(`trigger.${r.trigger}`)}</span><span>${seconds(r.started_at, r.finished_at)}</span></p>
        <p class="small">${r.not_modified ? t('run.notModified') : counts(r.counts)}</p>
        ${r.error ? html`<p class="small run-error">${runError(r)}</p>` : null}
      </li>`,
    )}
  </ul>
  <div class="table-wrap wide-list"><table>
    <caption class="visually-hidden">${t('runs.title')}</caption>
    <thead><tr>
      <th scope="col">#</th><th scope="col">${t('runs.resource')}</th><th scope="col">${t('runs.status')}</th>
      <th scope="col">${t('runs.started')}</th><th scope="col">${t('runs.duration')}</th>
      <th scope="col">${t('runs.counts')}</th>${withErrors ? html`<th scope="col">${t('runs.error')}</th>` : null}
    </tr></thead>
    <tbody>
      ${runs.map(
        (r) => html`<tr>
          <td><a href=${`#/runs/${r.id}`}>${r.id}</a></td>
          <td>${t(`resource.${r.resource}`)} <span class="muted">${t(`trigger.${r.trigger}`)}</span></td>
          <td><${Badge} kind=${`run-${r.status}`}>${t(`runStatus.${r.status}`)}<//></td>
          <td>${dateTime(r.started_at)}</td>
          <td>${seconds(r.started_at, r.finished_at)}</td>
          <td class="small">${r.not_modified ? t('run.notModified') : counts(r.counts)}</td>
          ${withErrors ? html`<td class="small">${runError(r)}</td>` : null}
        </tr>`,
      )}
    </tbody>
  </table></div>`;
}

function stats(days) {
  const today = shopToday();
  return api(`orders/stats${query({ date_from: addDays(today, -(days - 1)), date_to: today })}`);
}

// `version` changes after a sync started here: the figures are asked for again.
function Figures({ version }) {
  const [range, setRange] = useState(30);
  const figures = useLoad(() => Promise.all([1, 7, 30].map(stats)), [version]);
  // 30 days is one of the figures: the chart shows that answer rather than asking for it again.
  const own = useLoad(() => (range === 30 ? Promise.resolve(null) : stats(range)), [range, version]);
  // (Its loading and errors are the figures', shown above.)
  const chart = range === 30 ? { data: figures.data && figures.data[2], loading: false, error: null } : own;
  return html`<section aria-labelledby="figures">
    <h2 id="figures">${t('figures.title')}</h2>
    <${Loading} when=${figures.loading} />
    <${ApiErrorBox} error=${figures.error} doing=${t('figures.doing')} />
    ${figures.data
      ? html`<div class="cards">
          ${figures.data.map(
            (s, i) => html`<section class="card figure" aria-label=${t(`figures.range.${[1, 7, 30][i]}`)}>
              <h3>${t(`figures.range.${[1, 7, 30][i]}`)}</h3>
              <dl class="facts">
                <dt>${t('figures.orders')}</dt><dd class="big">${number(s.total_orders)}</dd>
                <dt>${t('figures.revenue')}</dt><dd class="big">${money(s.total_revenue)}</dd>
                <dt>${t('figures.average')}</dt><dd>${money(s.average_order_value)}</dd>
              </dl>
            </section>`,
          )}
        </div>`
      : null}
    <${ChartHead} id="revenue-chart" heading="h3" title=${t('figures.chart')} days=${range} choices=${RANGES} onChange=${setRange} />
    <${Loading} when=${chart.loading} />
    <${ApiErrorBox} error=${chart.error} doing=${t('figures.doing')} />
    ${chart.data
      ? html`<${BarChart} label=${t('figures.chart')} format=${money}
          points=${fillDays(chart.data, range).map((d) => ({ date: d.date, value: Number(d.revenue) }))} />`
      : null}
  </section>`;
}

// by_day lists only days with orders; the chart shows every day of the range.
function fillDays(stats, range) {
  const found = new Map(stats.by_day.map((d) => [d.date, d]));
  const today = shopToday();
  return Array.from({ length: range }, (_, i) => {
    const date = addDays(today, i - (range - 1));
    return found.get(date) || { date, orders: 0, revenue: '0.00' };
  });
}

export function Overview() {
  const status = useLoad(() => api('sync/status'), []);
  const runs = useLoad(() => api(`sync/runs${query({ limit: 10 })}`), []);
  const held = useLoad(() => api('sync/held-deletions'), []);
  const [version, setVersion] = useState(0);
  const refresh = () => {
    status.reload();
    runs.reload();
    held.reload();
    setVersion((v) => v + 1);
  };
  return html`<section class="page overview">
    <h1>${t('overview.title')}</h1>
    <${ReadOnlyLine} />
    ${held.data ? html`<${HeldDeletions} held=${held.data.resources} onDone=${refresh} />` : null}
    <${ApiErrorBox} error=${held.error} doing=${t('held.loadDoing')} />
    <h2>${t('sync.title')}</h2>
    <${Loading} when=${status.loading} />
    <${ApiErrorBox} error=${status.error} doing=${t('sync.statusDoing')} />
    ${status.data
      ? html`<div class="cards">
          ${RESOURCES.map((r) => html`<${ResourceCard} resource=${r} status=${status.data.resources[r]} />`)}
        </div>`
      : null}
    <${SyncControls} onDone=${refresh} />
    <section aria-labelledby="recent-runs">
      <h2 id="recent-runs">${t('runs.title')}</h2>
      <${Loading} when=${runs.loading} />
      <${ApiErrorBox} error=${runs.error} doing=${t('runs.doing')} />
      ${runs.data ? (runs.data.items.length ? html`<${RecentRuns} runs=${runs.data.items} />` : html`<p>${t('runs.none')}</p>`) : null}
    </section>
    <${Figures} version=${version} />
  </section>`;
}

