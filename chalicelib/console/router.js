// Pages are addressed by the URL's fragment: #/orders?status=paid&offset=50, #/orders/12, ...
// so that back, forward, reload and a shared link all work with files served as they are.
import { useEffect, useState } from './lib.js';
import { query } from './api.js';

export function currentRoute() {
  const raw = location.hash.replace(/^#/, '') || '/';
  const [path, search = ''] = raw.split('?');
  return { parts: path.split('/').filter(Boolean), params: new URLSearchParams(search) };
}

export function useRoute() {
  const [route, setRoute] = useState(currentRoute);
  useEffect(() => {
    const changed = () => setRoute(currentRoute());
    addEventListener('hashchange', changed);
    return () => removeEventListener('hashchange', changed);
  }, []);
  return route;
}

export function href(path, params = {}) {
  return `#${path}${query(params)}`;
}

// Where a list was last left (its filters and page), for the back link of a record opened from it:
// the link stays inside the console, whatever the browser's history holds.
const LAST_LIST = 'strattera.lastList';

export function rememberList(path) {
  sessionStorage.setItem(`${LAST_LIST}.${path}`, location.hash || `#${path}`);
}

export function backTo(path) {
  return sessionStorage.getItem(`${LAST_LIST}.${path}`) || `#${path}`;
}

export function go(path, params = {}) {
  location.hash = href(path, params);
}
