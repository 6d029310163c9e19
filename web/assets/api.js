// The site's one way to call the savealife API: fetch with a time limit, JSON in and out,
// problem documents (RFC 9457) turned into an ApiError that says what went wrong in words a
// visitor understands, with the request id to quote. No framework, nothing from elsewhere.

const TIMEOUT_MS = 15000;

// Thrown for every answer that is not a success, and when the service cannot be reached.
// status is 0 when no answer came back; fields holds [{field, message}] from a 422.
export class ApiError extends Error {
  constructor(message, { status = 0, title = '', detail = '', fields = [], requestId = '',
    retryAfter = null, unreachable = false } = {}) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.title = title;
    this.detail = detail;
    this.fields = fields;
    this.requestId = requestId;
    this.retryAfter = retryAfter;
    this.unreachable = unreachable;
  }
}

// A fresh key for one request that must be applied once (the Idempotency-Key header).
// randomUUID needs a secure context; getRandomValues works everywhere.
export function newIdempotencyKey() {
  if (globalThis.crypto && typeof crypto.randomUUID === 'function') {
    return crypto.randomUUID();
  }
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

const UNREACHABLE = 'The savealife service cannot be reached. Check your internet ' +
  'connection, then try again.';
const BUSY = 'The savealife service is busy or not answering at the moment. ' +
  'Please try again in a few minutes.';

// What to tell a visitor about an answer that carries no problem document of ours.
function plainMessage(status) {
  if (status === 429 || status >= 500) return BUSY;
  if (status === 404) return 'The page or item you asked for was not found.';
  return `Something went wrong (HTTP ${status}). Please try again.`;
}

async function problemFrom(response) {
  const type = response.headers.get('Content-Type') || '';
  if (!/json/i.test(type)) return null;
  try {
    const body = await response.json();
    return body && typeof body === 'object' ? body : null;
  } catch {
    return null;
  }
}

// request(method, path, options) -> {status, data, etag, requestId, headers}
// options: body (sent as JSON), token (Authorization: Bearer), idempotencyKey, ifMatch,
// headers (more), accept, timeoutMs. Throws ApiError when the answer is not 2xx.
export async function request(method, path, options = {}) {
  const headers = { Accept: options.accept || 'application/json', ...options.headers };
  let body;
  if (options.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(options.body);
  }
  if (options.token) headers.Authorization = `Bearer ${options.token}`;
  if (options.idempotencyKey) headers['Idempotency-Key'] = `"${options.idempotencyKey}"`;
  if (options.ifMatch) headers['If-Match'] = options.ifMatch;

  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), options.timeoutMs || TIMEOUT_MS);
  let response;
  try {
    response = await fetch(path, { method, headers, body, signal: controller.signal,
      credentials: 'same-origin', cache: 'no-store' });
  } catch {
    clearTimeout(timer);
    throw new ApiError(UNREACHABLE, { unreachable: true });
  }

  const requestId = response.headers.get('X-Request-Id') || '';
  const retryAfter = response.headers.get('Retry-After');
  try {
    if (response.ok) {
      let data = null;
      if (response.status !== 204 && response.status !== 205) {
        const type = response.headers.get('Content-Type') || '';
        data = /json/i.test(type) ? await response.json() : await response.text();
      }
      return { status: response.status, data, etag: response.headers.get('ETag'), requestId,
        headers: response.headers };
    }
    const problem = await problemFrom(response);
    const fields = problem && Array.isArray(problem.errors) ? problem.errors : [];
    const detail = problem && typeof problem.detail === 'string' ? problem.detail : '';
    // A problem document from the service itself says what happened; a bare 5xx from the
    // proxy in front of it (the service stopped) is the "not answering" case.
    const message = problem && response.status < 500 && response.status !== 429 && detail
      ? detail : plainMessage(response.status);
    throw new ApiError(message, {
      status: response.status,
      title: problem && typeof problem.title === 'string' ? problem.title : '',
      detail,
      fields,
      requestId: requestId || (problem && typeof problem.request_id === 'string'
        ? problem.request_id : ''),
      retryAfter: retryAfter === null ? null : Number(retryAfter),
    });
  } catch (err) {
    if (err instanceof ApiError) throw err;
    // The body could not be read (the connection dropped midway).
    throw new ApiError(UNREACHABLE, { unreachable: true, requestId });
  } finally {
    clearTimeout(timer);
  }
}

// The message to show for an error, with the reference to quote when asking for help.
export function describe(err) {
  const text = err instanceof ApiError ? err.message : UNREACHABLE;
  const ref = err instanceof ApiError && err.requestId ? ` (reference ${err.requestId})` : '';
  return text + ref;
}

// Percent-encodes one path segment (ids and emails in a path).
export function segment(value) {
  return encodeURIComponent(value);
}
