// The admin's session: the token lives only in this tab's sessionStorage and goes only to our
// own API, as Authorization: Bearer. Every admin page imports this module first.
import { ApiError, newIdempotencyKey, request } from '../assets/api.js';

const TOKEN_KEY = 'savealife-admin-token';
const FLASH_KEY = 'savealife-admin-flash';
const NEXT_KEY = 'savealife-admin-next';
const SIGN_IN = '/admin/';

/** The service could not be reached, or answered that it cannot serve now (5xx). */
export class ServiceDown extends Error {
  constructor(status, retryAfter) {
    super(status ? `the service answered ${status}` : 'the service did not answer');
    this.status = status;
    this.retryAfter = retryAfter;
  }
}

export function getToken() {
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

export function setToken(token) {
  sessionStorage.setItem(TOKEN_KEY, token);
}

export function forgetToken() {
  try {
    sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    /* storage disabled: nothing was kept */
  }
}

/** A one-line message for the next admin page of this tab (after a redirect). */
export function setFlash(text) {
  sessionStorage.setItem(FLASH_KEY, text);
}

export function takeFlash() {
  const text = sessionStorage.getItem(FLASH_KEY);
  sessionStorage.removeItem(FLASH_KEY);
  return text;
}

/**
 * Back to the sign-in page; `reason` is shown there ("expired", "signedout"). Where the admin
 * was is kept in this tab's sessionStorage, not in the address: a donor's page names the
 * donor in its fragment, which must not reach the server's logs in a query string.
 */
export function toSignIn(reason) {
  if (reason !== 'signedout') {
    sessionStorage.setItem(NEXT_KEY, location.pathname + location.search + location.hash);
  }
  location.replace(reason ? `${SIGN_IN}?${reason}=1` : SIGN_IN);
}

/** Where to go after signing in: `next` if given, else where toSignIn left from. */
export function takeNext(next) {
  const kept = sessionStorage.getItem(NEXT_KEY);
  sessionStorage.removeItem(NEXT_KEY);
  return safeNext(next || kept);
}

/** Only a path inside the console is a place to go back to after signing in. */
function safeNext(next) {
  return typeof next === 'string' && /^\/admin\/[^/\\]/.test(next) && !next.includes('//')
    ? next
    : '/admin/companies/';
}

/** For every page but the sign-in page: no token, no page. Wires the sign-out button. */
export function requireSignIn() {
  if (!getToken()) {
    toSignIn('');
    return false;
  }
  const out = document.getElementById('sign-out');
  if (out) {
    out.addEventListener('click', () => {
      forgetToken();
      toSignIn('signedout');
    });
  }
  return true;
}

/**
 * One write's Idempotency-Key: the same body sent again after no answer (or a 5xx) reuses the
 * key, so a retry is applied once; any other answer ends it (the service keeps answers below
 * 500 under the key, a 412 included, which a new attempt must not get back).
 */
export class WriteKey {
  constructor() {
    this.body = null;
    this.key = null;
  }

  for(bodyText) {
    if (this.key === null || this.body !== bodyText) {
      this.body = bodyText;
      this.key = newIdempotencyKey();
    }
    return this.key;
  }

  done() {
    this.key = null;
    this.body = null;
  }
}

function never() {
  return new Promise(() => {});
}

/**
 * One call to the admin API, through the site's API module. Resolves to {status, etag, data}
 * for any answer below 500 but 401 (data: the body, or for an error {detail, errors,
 * request_id}); a 401 forgets the token and goes to the sign-in page; no answer or a 5xx
 * throws ServiceDown.
 */
export async function api(method, path, { body, ifMatch, key } = {}) {
  const token = getToken();
  if (!token) {
    toSignIn('expired');
    return never();
  }
  const idempotencyKey = body !== undefined && key ? key.for(JSON.stringify(body)) : undefined;
  try {
    const res = await request(method, path, { body, token, ifMatch, idempotencyKey });
    if (key) key.done();
    return { status: res.status, etag: res.etag, data: res.data };
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    if (err.unreachable || err.status >= 500) throw new ServiceDown(err.status, err.retryAfter);
    if (err.status === 401) {
      forgetToken();
      toSignIn('expired');
      return never();
    }
    if (key) key.done();
    return { status: err.status, etag: null, data: { detail: err.detail, errors: err.fields, request_id: err.requestId } };
  }
}

/** Sign-in: true when the service takes the token (one small admin listing), else false. */
export async function checkToken(token) {
  try {
    await request('GET', '/api/donors?city=sign-in&limit=1', { token });
    return true;
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    if (err.unreachable || err.status >= 500) throw new ServiceDown(err.status, err.retryAfter);
    if (err.status === 401) return false;
    throw new ServiceDown(err.status, err.retryAfter);
  }
}
