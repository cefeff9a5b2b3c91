// Calls to the gateway with the key kept in this tab's sessionStorage.

const STORED = 'gateway-console-key';

export function currentKey() {
  return sessionStorage.getItem(STORED);
}

export function keepKey(key) {
  sessionStorage.setItem(STORED, key);
}

export function forgetKey() {
  sessionStorage.removeItem(STORED);
}

// A JSON-RPC error (or a refused request), with the request id the gateway gave it.
export class RpcError extends Error {
  constructor(error, requestId) {
    super(error.message || String(error));
    this.error = error;
    this.requestId = requestId;
  }

  get forbidden() {
    return this.error.code === 403;
  }
}

// POSTs one body to /rpc: {status, body, requestId}.
export async function post(body) {
  const response = await fetch('/rpc', {
    method: 'POST',
    headers: {'Content-Type': 'application/json', 'X-Api-Key': currentKey() || ''},
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return {status: response.status, body: text ? JSON.parse(text) : null,
          requestId: response.headers.get('X-Request-Id')};
}

// Several calls in one batch: {id: result or RpcError}, in the order they were asked.
export async function batch(calls) {
  const body = Object.entries(calls).map(([id, [method, params]]) =>
    ({jsonrpc: '2.0', method, params, id}));
  const {body: answers, requestId} = await post(body);
  if (!Array.isArray(answers)) {
    throw new RpcError((answers && answers.error) || {message: 'no answer'}, requestId);
  }
  const out = {};
  for (const answer of answers) {
    out[answer.id] = 'error' in answer ? new RpcError(answer.error, requestId) : answer.result;
  }
  return out;
}

// One call's result; an error is thrown as RpcError.
export async function call(method, params) {
  const {body, requestId} = await post({jsonrpc: '2.0', method, params, id: 1});
  if (!body || 'error' in body) {
    throw new RpcError((body && body.error) || {message: 'no answer'}, requestId);
  }
  return body.result;
}

// Every page of a call-history method (count 1000), while the offset limit allows.
export const PAGE = 1000;
export const MAX_OFFSET = 10000;

export async function allPages(method, params) {
  const rows = [];
  for (let offset = 0; ; offset += PAGE) {
    const page = await call(method, {...params, count: PAGE, offset});
    rows.push(...page.result);
    if (rows.length >= page.total_count || page.result.length < PAGE) {
      return rows;
    }
    if (offset + PAGE > MAX_OFFSET) {
      throw new Error(`more than ${MAX_OFFSET + PAGE} records: the history cannot be paged that far`);
    }
  }
}

// A file the gateway sends for a URL, fetched with the key and saved by the browser.
export async function download(url, fallbackName) {
  const response = await fetch(url, {headers: {'X-Api-Key': currentKey() || ''}});
  if (!response.ok) {
    const body = await response.json().catch(() => ({}));
    throw new RpcError(body.error || {message: `HTTP ${response.status}`},
                       response.headers.get('X-Request-Id'));
  }
  const disposition = response.headers.get('Content-Disposition') || '';
  const named = /filename="([^"]+)"/.exec(disposition);
  const link = document.createElement('a');
  link.href = URL.createObjectURL(await response.blob());
  link.download = named ? named[1] : fallbackName;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10000);
}
