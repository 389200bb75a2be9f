// The API reference page (/docs): GET api/openapi.json rendered for people. No token: the description
// holds no data. For developers, so in English only (the console's strings are in i18n/).
import { html, render, useEffect, useState } from './lib.js';

const SPEC_URL = new URL('api/openapi.json', document.baseURI);
const METHODS = ['get', 'post', 'put', 'delete'];

function refName(ref) {
  return ref.split('/').pop();
}

// A schema in one line: `integer ≥ 1`, `Page_Order_ | null`, `"paid" | "shipped"`, `string[]`.
function TypeText({ schema }) {
  if (!schema) return 'any';
  if (schema.$ref) return html`<a href=${`#schema-${refName(schema.$ref)}`}>${refName(schema.$ref)}</a>`;
  const variants = schema.anyOf || schema.oneOf;
  if (variants) return variants.map((v, i) => html`${i ? ' | ' : ''}<${TypeText} schema=${v} />`);
  if (schema.enum) return schema.enum.map((v) => JSON.stringify(v)).join(' | ');
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  if (schema.type === 'array') return html`<${TypeText} schema=${schema.items} />[]`;
  const bounds = [
    schema.minimum !== undefined ? `≥ ${schema.minimum}` : null,
    schema.exclusiveMinimum !== undefined ? `> ${schema.exclusiveMinimum}` : null,
    schema.maximum !== undefined ? `≤ ${schema.maximum}` : null,
    schema.maxLength !== undefined ? `at most ${schema.maxLength} characters` : null,
    schema.format ? schema.format : null,
  ].filter(Boolean);
  const type = schema.type === 'object' && schema.additionalProperties ? 'object (map)' : schema.type || 'any';
  return `${type}${bounds.length ? ` (${bounds.join(', ')})` : ''}`;
}

function Parameters({ parameters }) {
  if (!parameters || !parameters.length) return null;
  return html`<div class="table-wrap"><table>
    <thead><tr><th scope="col">parameter</th><th scope="col">in</th><th scope="col">type</th><th scope="col">default</th><th scope="col">about</th></tr></thead>
    <tbody>${parameters.map(
      (p) => html`<tr>
        <td><code>${p.name}</code>${p.required ? html` <span class="muted">required</span>` : null}</td>
        <td>${p.in}</td>
        <td><${TypeText} schema=${p.schema} /></td>
        <td>${p.schema && p.schema.default !== undefined ? html`<code>${JSON.stringify(p.schema.default)}</code>` : ''}</td>
        <td>${(p.schema && p.schema.description) || p.description || ''}${p.explode ? ' (repeatable)' : ''}</td>
      </tr>`,
    )}</tbody>
  </table></div>`;
}

function Operation({ path, method, op }) {
  const id = `${method}-${path}`.replace(/[^a-z0-9]+/gi, '-');
  const body = op.requestBody && op.requestBody.content['application/json'].schema;
  return html`<section class="operation card" id=${id} aria-labelledby=${`${id}-title`}>
    <h3 id=${`${id}-title`}><span class=${`method method-${method}`}>${method.toUpperCase()}</span> <code>${path}</code></h3>
    <p>${op.summary}${op.security ? '' : html` <span class="badge">no token</span>`}</p>
    <${Parameters} parameters=${op.parameters} />
    ${body ? html`<p><strong>Body</strong> (JSON): <${TypeText} schema=${body} /></p>` : null}
    <p><strong>Answers</strong></p>
    <ul class="responses">${Object.entries(op.responses).map(([code, r]) => {
      const json = r.content && r.content['application/json'];
      const files = r.content && !json ? Object.keys(r.content) : [];
      return html`<li><code>${code}</code> ${r.description}${json ? html`: <${TypeText} schema=${json.schema} />` : null}${
        files.length ? html`: a file (${files.map((media, i) => html`${i ? ' or ' : ''}<code>${media}</code>`)})` : null}</li>`;
    })}</ul>
  </section>`;
}

function Schema({ name, schema }) {
  const required = new Set(schema.required || []);
  return html`<section class="card schema" id=${`schema-${name}`}>
    <h3><code>${name}</code></h3>
    ${schema.description ? html`<p>${schema.description}</p>` : null}
    ${schema.properties
      ? html`<div class="table-wrap"><table>
          <thead><tr><th scope="col">field</th><th scope="col">type</th><th scope="col">about</th></tr></thead>
          <tbody>${Object.entries(schema.properties).map(
            ([field, s]) => html`<tr>
              <td><code>${field}</code>${required.has(field) ? '' : html` <span class="muted">optional</span>`}</td>
              <td><${TypeText} schema=${s} /></td><td>${s.description || ''}</td>
            </tr>`,
          )}</tbody></table></div>`
      : html`<p><${TypeText} schema=${schema} /></p>`}
  </section>`;
}

function group(path) {
  return path.split('/')[2].replace(/^sync.*/, 'sync');
}

function Reference() {
  const [spec, setSpec] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    fetch(SPEC_URL, { cache: 'no-store' })
      .then((r) => (r.ok ? r.json() : Promise.reject(new Error(`${r.status} ${r.statusText}`))))
      .then(setSpec, (e) => setError(e.message));
  }, []);
  if (error) return html`<main id="main"><div class="error-box" role="alert"><p class="error-title">Could not load the description</p><p>${error}</p></div></main>`;
  if (!spec) return html`<main id="main"><p class="loading" role="status">Loading the API description…</p></main>`;
  const operations = Object.entries(spec.paths).flatMap(([path, item]) =>
    METHODS.filter((m) => item[m]).map((method) => ({ path, method, op: item[method] })),
  );
  const groups = [...new Set(operations.map((o) => group(o.path)))];
  return html`<header class="top"><span class="brand">${spec.info.title} — API reference</span>
      <nav aria-label="Sections">${groups.map((g) => html`<a href=${`#group-${g}`}>${g}</a>`)}<a href="#schemas">shapes</a><a href="./">console</a></nav>
    </header>
    <main id="main">
      <h1>${spec.info.title} ${spec.info.version}</h1>
      <p>${spec.info.description}</p>
      <p>Every route but those marked <span class="badge">no token</span> needs <code>Authorization: Bearer &lt;token&gt;</code>.
        Errors answer <code>{"error": {"code", "message", "details"}}</code>. The machine-readable description:
        <a href=${SPEC_URL.href}>openapi.json</a> (OpenAPI ${spec.openapi}).</p>
      ${groups.map((g) => html`<section id=${`group-${g}`} aria-labelledby=${`group-${g}-title`}>
        <h2 id=${`group-${g}-title`}>${g}</h2>
        ${operations.filter((o) => group(o.path) === g).map((o) => html`<${Operation} ...${o} />`)}
      </section>`)}
      <section id="schemas" aria-labelledby="schemas-title">
        <h2 id="schemas-title">Shapes</h2>
        ${Object.entries(spec.components.schemas).map(([name, schema]) => html`<${Schema} name=${name} schema=${schema} />`)}
      </section>
    </main>`;
}

const root = document.getElementById('app');
root.replaceChildren();
render(html`<${Reference} />`, root);
