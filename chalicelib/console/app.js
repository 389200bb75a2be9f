// The console: sign in with an API token, then the overview, orders, products, purchasing and profit pages.
import { html, render, useEffect, useState } from './lib.js';
import { api, token, whenUnauthorized } from './api.js';
import { LANGUAGES, errorText, language, setLanguage, t } from './i18n.js';
import { setZone } from './format.js';
import { useRoute } from './router.js';
import { Loading, Session } from './ui.js';
import { SignIn } from './pages/signin.js';
import { Overview } from './pages/overview.js';
import { RunPage } from './pages/run.js';
import { OrdersPage } from './pages/orders.js';
import { OrderPage } from './pages/order.js';
import { ProductsPage } from './pages/products.js';
import { ProductPage } from './pages/product.js';
import { PurchasingPage } from './pages/purchasing.js';
import { ProfitPage } from './pages/profit.js';

function Page({ route }) {
  const [section, id] = route.parts;
  if (section === 'orders' && id) return html`<${OrderPage} key=${id} id=${id} />`;
  if (section === 'orders') return html`<${OrdersPage} params=${route.params} />`;
  if (section === 'products' && id) return html`<${ProductPage} key=${id} id=${id} />`;
  if (section === 'products') return html`<${ProductsPage} params=${route.params} />`;
  if (section === 'purchasing') return html`<${PurchasingPage} params=${route.params} />`;
  if (section === 'profit') return html`<${ProfitPage} params=${route.params} />`;
  if (section === 'runs' && id) return html`<${RunPage} key=${id} id=${id} />`;
  if (!section) return html`<${Overview} />`;
  return html`<section><h1>${t('notFound.title')}</h1><p><a href="#/">${t('notFound.back')}</a></p></section>`;
}

function LanguageSwitch({ onChange }) {
  return html`<label class="language">
    <span class="visually-hidden">${t('nav.language')}</span>
    <select value=${language()} onChange=${(e) => onChange(e.currentTarget.value)} aria-label=${t('nav.language')}>
      ${Object.keys(LANGUAGES).map((lang) => html`<option value=${lang}>${LANGUAGES[lang]['language.name']}</option>`)}
    </select>
  </label>`;
}

function Shell({ session, onSignOut, onLanguage }) {
  const route = useRoute();
  const section = route.parts[0] || '';
  const link = (target, label) =>
    html`<a href=${`#/${target}`} aria-current=${section === target ? 'page' : undefined}>${label}</a>`;
  useEffect(() => {
    const main = document.getElementById('main');
    if (main) main.focus({ preventScroll: true });
  }, [route.parts.join('/')]);
  return html`<${Session.Provider} value=${session}>
    <a class="skip-link" href="#main" onClick=${(e) => { e.preventDefault(); document.getElementById('main').focus(); }}>
      ${t('nav.skip')}
    </a>
    <header class="top">
      <span class="brand">${t('app.name')}</span>
      <nav aria-label=${t('nav.label')}>
        ${link('', t('nav.overview'))} ${link('orders', t('nav.orders'))} ${link('products', t('nav.products'))}
        ${link('purchasing', t('nav.purchasing'))} ${link('profit', t('nav.profit'))}
      </nav>
      <div class="who">
        <span title=${t(`session.access.${session.access}`)}><bdi class="data">${session.name}</bdi> · ${t(`session.access.${session.access}`)}</span>
        <${LanguageSwitch} onChange=${onLanguage} />
        <button type="button" class="secondary" onClick=${onSignOut}>${t('nav.signOut')}</button>
      </div>
    </header>
    <main id="main" tabindex="-1"><${Page} route=${route} /></main>
  <//>`;
}

function App() {
  const [session, setSession] = useState(null);
  const [checking, setChecking] = useState(Boolean(token.get()));
  const [reason, setReason] = useState(null);
  const [, setLang] = useState(language());

  const signIn = (me) => {
    setZone(me.shop_timezone);
    setSession(me);
  };
  const signOut = (why = null) => {
    token.clear();
    setSession(null);
    setReason(why);
  };

  useEffect(() => {
    whenUnauthorized(() => signOut(t('signin.expired')));
    if (!token.get()) return;
    api('me')
      .then(signIn, (error) => (error.status === 401 ? signOut(t('signin.expired')) : setReason(errorText(error))))
      .finally(() => setChecking(false));
  }, []);

  const changeLanguage = (lang) => {
    setLanguage(lang);
    setLang(lang);
  };

  if (checking) return html`<${Loading} />`;
  if (!session) return html`<${SignIn} reason=${reason} onSignedIn=${signIn} onLanguage=${changeLanguage} />`;
  return html`<${Shell} session=${session} onSignOut=${() => signOut()} onLanguage=${changeLanguage} />`;
}

// The page's static "Loading…" line is replaced, not kept beside the app.
const root = document.getElementById('app');
root.replaceChildren();
render(html`<${App} />`, root);
