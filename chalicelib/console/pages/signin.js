// Sign in: the token is checked at once against the API (GET /api/me) and kept in sessionStorage.
import { html, useState, useRef, useEffect } from '../lib.js';
import { useAction } from '../action.js';
import { api, token } from '../api.js';
import { LANGUAGES, errorText, language, t } from '../i18n.js';

// Where the dev token lives (.local/dev-token) is worth saying only to a developer running the app on
// their own machine; deployed, the page is served from the API Gateway's host.
const LOCAL = ['127.0.0.1', 'localhost', '[::1]'].includes(location.hostname);

// A sentence with {name}s filled in as code (a command, a file): "Локально (<code>make run</code>) ...".
function withCode(text, codes) {
  return text.split(/\{(\w+)\}/).map((part, i) => (i % 2 ? html`<code>${codes[part]}</code>` : part));
}

export function SignIn({ reason, onSignedIn, onLanguage }) {
  const [value, setValue] = useState('');
  const action = useAction();
  const input = useRef(null);
  useEffect(() => input.current && input.current.focus(), []);
  // A refused token: back to the field, with its error read out (the disabled button had dropped focus).
  useEffect(() => {
    if (action.error && input.current) input.current.focus();
  }, [action.error]);
  const error = action.error && (typeof action.error === 'string' ? action.error : errorText(action.error));

  const submit = (event) => {
    event.preventDefault();
    const typed = value.trim();
    if (!typed) {
      action.refuse(t('signin.empty'));
      return;
    }
    action.run(() => api('me', { bearer: typed }), {
      done: (me) => {
        token.set(typed);
        onSignedIn(me);
      },
      failed: (failure) => (failure.status === 401 ? t('signin.refused') : failure),
    });
  };
  const busy = Boolean(action.busy);

  return html`<main class="signin" id="main">
    <form onSubmit=${submit} novalidate aria-describedby=${error ? 'token-error' : undefined}>
      <h1>${t('app.name')}</h1>
      <p>${t('signin.intro')}</p>
      ${reason ? html`<p class="notice warn" role="status">${reason}</p>` : null}
      <div class=${`field${error ? ' field-error' : ''}`}>
        <label for="token">${t('signin.token')}</label>
        ${LOCAL ? html`<p class="hint" id="token-hint">${withCode(t('signin.hint'), { command: 'make run', file: '.local/dev-token' })}</p>` : null}
        ${error ? html`<p class="field-message" id="token-error" role="alert">${error}</p>` : null}
        <input id="token" ref=${input} type="password" autocomplete="off" spellcheck="false"
          aria-describedby=${[LOCAL ? 'token-hint' : '', error ? 'token-error' : ''].filter(Boolean).join(' ') || undefined}
          aria-invalid=${error ? 'true' : undefined}
          value=${value} onInput=${(e) => setValue(e.currentTarget.value)} />
      </div>
      <button type="submit" disabled=${busy}>${busy ? t('signin.checking') : t('signin.submit')}</button>
      <p class="language">
        <label for="signin-language">${t('nav.language')}</label>
        <select id="signin-language" value=${language()} onChange=${(e) => onLanguage(e.currentTarget.value)}>
          ${Object.keys(LANGUAGES).map((lang) => html`<option value=${lang}>${LANGUAGES[lang]['language.name']}</option>`)}
        </select>
      </p>
    </form>
  </main>`;
}
