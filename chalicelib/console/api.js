// The JSON API, as any client calls it: `Authorization: Bearer <token>`, JSON in and out.
// The token lives in sessionStorage only (gone when the tab closes; never a URL, cookie or localStorage).
import { detailText } from './i18n.js';

const TOKEN_KEY = 'strattera.token';

// The page is served at the app's root: `/` locally, `/<stage>/` behind API Gateway.
// Its routes live under `api/` next to it.
const API_BASE = new URL('api/', document.baseURI);

export class ApiError extends Error {
  constructor(status, code, message, details = [], body = null) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
    this.body = body;
  }

  // The message for a field named in `details` (e.g. "price"), if the API named one.
  fieldMessage(field) {
    const found = this.details.find((d) => d && (d.field === field || String(d.field).endsWith(`.${field}`)));
    return found ? detailText(found) : null;
  }
}

export const token = {
  get: () => sessionStorage.getItem(TOKEN_KEY),
  set: (value) => sessionStorage.setItem(TOKEN_KEY, value),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

let onUnauthorized = () => {};
export function whenUnauthorized(handler) {
  onUnauthorized = handler;
}

export async function api(path, { method = 'GET', body, bearer } = {}) {
  const headers = { Authorization: `Bearer ${bearer ?? token.get() ?? ''}`, Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response;
  try {
    response = await fetch(new URL(path, API_BASE), {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
      credentials: 'omit',
    });
  } catch {
    throw new ApiError(0, 'network_error', 'the server could not be reached');
  }
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (response.ok) return data;
  const error = data && data.error;
  const failure = new ApiError(
    response.status,
    error ? error.code : `http_${response.status}`,
    (error && error.message) || (data && data.message) || `${response.status} ${response.statusText}`,
    (error && error.details) || [],
    data,
  );
  if (response.status === 401 && bearer === undefined) onUnauthorized(failure);
  throw failure;
}

// A file from an export route (GET /api/exports/...), saved as the API names it. The request accepts
// both file types (the API answers them base64-encoded through API Gateway, which needs the Accept
// header to say so); an error answers JSON, thrown as an ApiError like any other.
const FILE_TYPES = 'text/csv, application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

export async function download(path) {
  let response;
  try {
    response = await fetch(new URL(path, API_BASE), {
      headers: { Authorization: `Bearer ${token.get() ?? ''}`, Accept: FILE_TYPES },
      cache: 'no-store',
      credentials: 'omit',
    });
  } catch {
    throw new ApiError(0, 'network_error', 'the server could not be reached');
  }
  if (!response.ok) {
    let data = null;
    try {
      data = await response.json();
    } catch {
      data = null;
    }
    const error = data && data.error;
    const failure = new ApiError(response.status, error ? error.code : `http_${response.status}`,
      (error && error.message) || `${response.status} ${response.statusText}`, (error && error.details) || [], data);
    if (response.status === 401) onUnauthorized(failure);
    throw failure;
  }
  const named = /filename="([^"]+)"/.exec(response.headers.get('Content-Disposition') || '');
  const link = document.createElement('a');
  link.href = URL.createObjectURL(await response.blob());
  link.download = named ? named[1] : 'export';
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
  return link.download;
}

// A query string from an object, leaving out empty values; arrays repeat the parameter.
// "?status=paid&status=shipped&limit=50": empty values left out, lists repeated (one builder for the
// API's query strings and the console's own addresses, see router.js).
export function query(params) {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    for (const item of Array.isArray(value) ? value : [value]) {
      if (item !== undefined && item !== null && item !== '') search.append(name, String(item));
    }
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}
