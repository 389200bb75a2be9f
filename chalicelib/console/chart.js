// Small SVG charts: bars per day (revenue, units sold) and a line (stock level). A few dozen lines
// of our own instead of a charting library; each point carries a <title> for a tooltip, and the
// chart a text summary for screen readers.
import { html } from './lib.js';
import { day } from './format.js';
import { t } from './i18n.js';

const WIDTH = 600;
const HEIGHT = 160;
const PAD = { top: 8, right: 8, bottom: 20, left: 8 };

function scale(values) {
  const max = Math.max(0, ...values.filter((v) => v !== null));
  return max > 0 ? max : 1;
}

export function BarChart({ points, label, format, className = '' }) {
  const values = points.map((p) => p.value);
  const max = scale(values);
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const step = points.length ? plotW / points.length : plotW;
  const bar = Math.max(1, step * 0.8);
  return html`<figure class=${`chart ${className}`}>
    <svg viewBox=${`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label=${label} preserveAspectRatio="none">
      <line class="axis" x1=${PAD.left} y1=${HEIGHT - PAD.bottom} x2=${WIDTH - PAD.right} y2=${HEIGHT - PAD.bottom} />
      ${points.map((p, i) => {
        const h = ((p.value || 0) / max) * plotH;
        return html`<rect class="bar" x=${PAD.left + i * step + (step - bar) / 2} y=${PAD.top + plotH - h}
          width=${bar} height=${Math.max(h, p.value ? 1 : 0)}><title>${day(p.date)}: ${format(p.value)}</title></rect>`;
      })}
    </svg>
    <figcaption>
      <span>${points.length ? day(points[0].date) : ''}</span>
      <span>${label} · ${t('chart.max', { value: format(max === 1 && !values.some((v) => v) ? 0 : max) })}</span>
      <span>${points.length ? day(points[points.length - 1].date) : ''}</span>
    </figcaption>
  </figure>`;
}

export function LineChart({ points, label, format }) {
  const values = points.map((p) => p.value);
  const max = scale(values);
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const step = points.length > 1 ? plotW / (points.length - 1) : plotW;
  const xy = (p, i) => [PAD.left + i * step, PAD.top + plotH - ((p.value || 0) / max) * plotH];
  // Days with no known level break the line rather than drawing it at zero.
  const segments = [];
  let current = [];
  points.forEach((p, i) => {
    if (p.value === null || p.value === undefined) {
      if (current.length) segments.push(current);
      current = [];
    } else current.push(xy(p, i));
  });
  if (current.length) segments.push(current);
  return html`<figure class="chart">
    <svg viewBox=${`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label=${label} preserveAspectRatio="none">
      <line class="axis" x1=${PAD.left} y1=${HEIGHT - PAD.bottom} x2=${WIDTH - PAD.right} y2=${HEIGHT - PAD.bottom} />
      ${segments.map((s) => html`<polyline class="line" points=${s.map(([x, y]) => `${x},${y}`).join(' ')} />`)}
      ${points.map((p, i) =>
        p.value === null || p.value === undefined
          ? null
          : html`<circle class="dot" cx=${xy(p, i)[0]} cy=${xy(p, i)[1]} r="2"><title>${day(p.date)}: ${format(p.value)}</title></circle>`,
      )}
    </svg>
    <figcaption>
      <span>${points.length ? day(points[0].date) : ''}</span>
      <span>${label} · ${t('chart.max', { value: format(values.some((v) => v !== null) ? max : 0) })}</span>
      <span>${points.length ? day(points[points.length - 1].date) : ''}</span>
    </figcaption>
  </figure>`;
}
