// Pieces every page uses: loading and error states, messages, pagination, badges, fields.
import { html, useEffect, useRef, useState, useCallback, createContext, useContext } from './lib.js';
import { detailText, errorText, labelOf, t } from './i18n.js';
import { number } from './format.js';
import { download, query } from './api.js';
import { useAction } from './action.js';
import { go } from './router.js';

// {name, access, shop_timezone} of the signed-in token; `access === 'read'` turns edits off.
export const Session = createContext(null);

export function useSession() {
  return useContext(Session);
}

export function canEdit(session) {
  return Boolean(session && session.access === 'full');
}

// Load data with `load()` whenever `deps` change: {data, error, loading, reload, replace}. `replace`
// puts what a write answered in place of what was loaded (a saved order is the order now): a page
// keeps one copy of its record, not a second state copied from the first.
export function useLoad(load, deps) {
  const [state, setState] = useState({ data: null, error: null, loading: true });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let current = true;
    setState((s) => ({ ...s, error: null, loading: true }));
    load().then(
      (data) => current && setState({ data, error: null, loading: false }),
      (error) => current && setState((s) => ({ data: s.data, error, loading: false })),
    );
    return () => {
      current = false;
    };
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((n) => n + 1), []);
  const replace = useCallback((data) => setState({ data, error: null, loading: false }), []);
  return { ...state, reload, replace };
}

export function Loading({ when = true, label }) {
  if (!when) return null;
  return html`<p class="loading" role="status" aria-live="polite"><span class="spinner" aria-hidden="true"></span>${label || t('common.loading')}</p>`;
}

// An API error, with the API's own message and what the person was doing when it happened.
export function ApiErrorBox({ error, doing }) {
  const box = useFocusOn(error);
  if (!error) return null;
  return html`<div class="error-box" role="alert" tabindex="-1" ref=${box}>
    <p class="error-title">${doing ? t('error.while', { doing }) : t('error.title')}</p>
    <p class="error-message">${errorText(error)}</p>
    ${error.status ? html`<p class="error-code">${t('error.code', { status: error.status })} <code>${error.code}</code></p>` : null}
    ${(error.details || []).filter((d) => d && d.message).map(
      (d) => html`<p class="error-detail">${d.field ? `${labelOf('field', d.field)}: ` : ''}${detailText(d)}</p>`,
    )}
  </div>`;
}

// One line after an action: "Saved", "Back to the shop's value", ...
export function Notice({ notice }) {
  const line = useFocusOn(notice);
  if (!notice) return null;
  return html`<p class="notice ${notice.kind || 'ok'}" role="status" aria-live="polite" tabindex="-1" ref=${line}>${notice.text}</p>`;
}

// A message that appears after a save, a revert or an error takes the keyboard's focus: the button
// pressed was disabled while it worked, which drops focus to the page's body, and a person using the
// keyboard or a screen reader would lose their place. (The message is also announced: role status or
// alert.)
function useFocusOn(what) {
  const element = useRef(null);
  useEffect(() => {
    if (what && element.current) element.current.focus();
  }, [what]);
  return element;
}

export function ReadOnlyLine() {
  const session = useSession();
  if (canEdit(session)) return null;
  return html`<p class="read-only" role="note">${t('session.readOnly')}</p>`;
}

export function Badge({ kind, children }) {
  return html`<span class="badge badge-${kind}">${children}</span>`;
}

export function StatusBadge({ status }) {
  return html`<${Badge} kind=${`status-${status}`}><bdi>${labelOf('status', status)}</bdi><//>`;
}

// Text the shop (or its customers) wrote, isolated for bidirectional display: a right-to-left
// override in a product's name reverses nothing around it. Empty: a dash.
export function ShopText({ text }) {
  return text === null || text === undefined || text === '' ? '—' : html`<bdi class="shop-text">${text}</bdi>`;
}

export function StockBadge({ status }) {
  return html`<${Badge} kind=${`stock-${status}`}>${t(`stock.${status}`)}<//>`;
}

export function EditedMark({ title }) {
  return html`<span class="edited" title=${title || t('override.edited')}>${t('override.edited')}</span>`;
}

// "1–50 of 1 234" with previous / next.
export function Pager({ total, limit, offset, onOffset }) {
  const first = total === 0 ? 0 : offset + 1;
  const last = Math.min(offset + limit, total);
  return html`<nav class="pager" aria-label=${t('pager.label')}>
    <span>${t('pager.range', { first: number(first), last: number(last), total: number(total) })}</span>
    <button type="button" disabled=${offset <= 0} onClick=${() => onOffset(Math.max(0, offset - limit))}>
      ${t('pager.previous')}
    </button>
    <button type="button" disabled=${last >= total} onClick=${() => onOffset(offset + limit)}>${t('pager.next')}</button>
  </nav>`;
}

// A labelled input whose error (from the API's details) stands next to it.
export function Field({ id, label, error, hint, children }) {
  // The input (the child with `id`) names its hint and its error, so a screen reader reads them with
  // it, and says when it is invalid.
  useEffect(() => {
    const input = document.getElementById(id);
    if (!input) return;
    const described = [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ');
    if (described) input.setAttribute('aria-describedby', described);
    else input.removeAttribute('aria-describedby');
    if (error) input.setAttribute('aria-invalid', 'true');
    else input.removeAttribute('aria-invalid');
  });
  return html`<div class=${`field${error ? ' field-error' : ''}`}>
    <label for=${id}>${label}</label>
    ${hint ? html`<p class="hint" id=${`${id}-hint`}>${hint}</p>` : null}
    ${error ? html`<p class="field-message" id=${`${id}-error`}>${error}</p>` : null}
    ${children}
  </div>`;
}

// A filter form over a list whose filters live in the URL: edits stay in the form until it is
// submitted, which goes to the first page of the new list.
export function useFilterForm(applied, path) {
  const [form, setForm] = useState(applied);
  useEffect(() => setForm(applied), [JSON.stringify(applied)]);
  const set = (name) => (e) => setForm({ ...form, [name]: e.currentTarget.value });
  const submit = (e) => {
    e.preventDefault();
    go(path, { ...form, offset: 0 });
  };
  return { form, setForm, set, submit };
}

// A chart's heading with its range: "Period [30 days]".
export function ChartHead({ id, title, heading = 'h2', days, choices, onChange }) {
  return html`<div class="chart-head">
    <${heading} id=${id}>${title}<//>
    <label>${t('figures.chartRange')}
      <select value=${days} onChange=${(e) => onChange(Number(e.currentTarget.value))}>
        ${choices.map((n) => html`<option value=${n}>${t('figures.days', { n })}</option>`)}
      </select>
    </label>
  </div>`;
}

// "Скачать CSV" / "Скачать XLSX": the list as shown (its filters in `params`) from GET /api/exports/<what>.
export function ExportButtons({ what, params = {} }) {
  const action = useAction();
  const get = (format) =>
    action.run(() => download(`exports/${what}${query({ ...params, format })}`), {
      busy: format, notice: (name) => ({ text: t('export.done', { name }) }),
    });
  return html`<div class="export no-print">
    <div class="buttons">
      ${['csv', 'xlsx'].map((format) => html`<button type="button" class="secondary" data-export=${format}
        disabled=${Boolean(action.busy)} onClick=${() => get(format)}>
        ${action.busy === format ? t('export.working') : t(`export.${format}`)}</button>`)}
    </div>
    <${ApiErrorBox} error=${action.error} doing=${t('export.doing')} />
    <${Notice} notice=${action.notice} />
  </div>`;
}

