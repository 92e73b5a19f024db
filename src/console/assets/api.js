// The read API as the console calls it: the token from session storage in an Authorization
// header (never in a URL), JSON answers, and errors that carry the status so that a page can
// say "this token may not see this" on a 403 instead of breaking.

const TOKEN_KEY = 'logbridge.token';

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function signIn(value) {
  sessionStorage.setItem(TOKEN_KEY, value);
}

export function signOut() {
  sessionStorage.removeItem(TOKEN_KEY);
}

/// `path?query` with the parameters that have a value; arrays repeat the parameter.
export function url(path, params = {}) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    for (const one of [value].flat()) {
      if (one !== undefined && one !== null && one !== '') query.append(key, one);
    }
  }
  const text = query.toString();
  return text ? `${path}?${text}` : path;
}

function headers(extra = {}) {
  return { authorization: `Bearer ${token()}`, ...extra };
}

async function failure(response) {
  let message = response.statusText;
  try {
    const body = await response.json();
    message = body.error?.message ?? JSON.stringify(body);
  } catch {
    // not JSON: the status text says enough
  }
  if (response.status === 401) window.dispatchEvent(new Event('logbridge:unauthorized'));
  return new ApiError(response.status, message);
}

/// The raw answer of a GET (for exports and streams); throws ApiError unless 2xx.
export async function fetchRaw(path, params, init = {}) {
  const response = await fetch(url(path, params), { ...init, headers: headers(init.headers) });
  if (!response.ok) throw await failure(response);
  return response;
}

export async function get(path, params) {
  return (await fetchRaw(path, params)).json();
}

export async function put(path, body) {
  const init = { method: 'PUT', body: JSON.stringify(body) };
  const response = await fetch(path, { ...init, headers: headers({ 'content-type': 'application/json' }) });
  if (!response.ok) throw await failure(response);
  return response.json();
}
