// HTTP to the Tally server, as the reference client's HttpTransport does it: JSON bodies, problem
// documents with a stable `code`, and two kinds of failure — transient (retry later) and protocol
// (the server refused the request itself).

const TIMEOUT_MS = 30000;

/** The network or the server failed in a way worth retrying (offline, timeouts, 5xx). */
export class TransientError extends Error {
  constructor(message, retryAfter = null) {
    super(message);
    this.name = 'TransientError';
    this.retryAfter = retryAfter;
  }
}

/** The server refused the request (seq gap, revoked device, malformed body …). */
export class ProtocolError extends Error {
  constructor(status, code, detail, body = {}) {
    super(`${status} ${code}: ${detail}`);
    this.name = 'ProtocolError';
    Object.assign(this, { status, code, detail, body });
  }
}

function headers(token, contentType) {
  const h = { Accept: 'application/json' };
  if (contentType) h['Content-Type'] = contentType;
  if (token) h.Authorization = `Bearer ${token}`;
  return h;
}

function timeoutSignal() {
  return typeof AbortSignal.timeout === 'function' ? AbortSignal.timeout(TIMEOUT_MS) : undefined;
}

async function send(path, init) {
  let response;
  try {
    response = await fetch(path, { cache: 'no-store', signal: timeoutSignal(), ...init });
  } catch (error) {
    throw new TransientError(`network: ${error.message}`);
  }
  if (response.ok) return response;
  if (response.status >= 500 || response.status === 429) {
    const retry = Number(response.headers.get('Retry-After'));
    throw new TransientError(`server ${response.status}`, Number.isFinite(retry) && retry > 0 ? retry : null);
  }
  let problem = {};
  try {
    problem = await response.json();
  } catch { /* not a problem document */ }
  throw new ProtocolError(response.status, problem.code || 'http_error', problem.detail || response.statusText, problem);
}

/** POST a JSON body and return the decoded JSON answer. */
export async function postJson(path, body, token) {
  const response = await send(path, { method: 'POST', headers: headers(token, 'application/json'), body: JSON.stringify(body) });
  try {
    return await response.json();
  } catch (error) {
    throw new TransientError(`unreadable answer: ${error.message}`);
  }
}

/** PUT a blob under its SHA-256 (idempotent on the server). */
export async function putBlob(sha256, contentType, data, token) {
  await send(`/api/blobs/${sha256}`, { method: 'PUT', headers: headers(token, contentType), body: data });
}

/** Open the live-hint stream (server-sent events) with the bearer token, which EventSource cannot send. */
export async function openEvents(token, signal) {
  let response;
  try {
    response = await fetch('/api/sync/events', { headers: { ...headers(token), Accept: 'text/event-stream' }, cache: 'no-store', signal });
  } catch (error) {
    throw new TransientError(`network: ${error.message}`);
  }
  if (!response.ok || !response.body) throw new TransientError(`events ${response.status}`);
  return response.body;
}
