// The one way the pages talk to the API: every call goes through apiFetch, so the bearer key the API will
// require is added in a single place. The key lives in localStorage and is set from the page header.

const KEY_STORAGE = 'caas.apiKey';

export function apiKey() {
  return localStorage.getItem(KEY_STORAGE) || '';
}

export function setApiKey(key) {
  if (key) {
    localStorage.setItem(KEY_STORAGE, key);
  } else {
    localStorage.removeItem(KEY_STORAGE);
  }
}

/** A refused request, carrying the problem+json body the API answers with. */
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

export async function apiFetch(path, options = {}) {
  const headers = new Headers(options.headers || {});
  const key = apiKey();
  if (key) {
    headers.set('Authorization', `Bearer ${key}`);
  }
  const response = await fetch(path, { ...options, headers });
  if (!response.ok) {
    throw new ApiError(response.status, await problemOf(response));
  }
  return response;
}

async function problemOf(response) {
  try {
    return await response.json();
  } catch {
    return { title: response.statusText };
  }
}

export async function getJson(path) {
  const response = await apiFetch(path, { headers: { Accept: 'application/json' } });
  return response.json();
}

export async function postJson(path, body) {
  const response = await apiFetch(path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify(body),
  });
  return response.json();
}

export async function postFile(path, file) {
  const form = new FormData();
  form.append('file', file, file.name);
  const response = await apiFetch(path, { method: 'POST', body: form, headers: { Accept: 'application/json' } });
  return response.json();
}

/** Every item of a cursor-paged list, up to {@code max}. */
export async function listAll(path, max = 500) {
  const items = [];
  let cursor = null;
  do {
    const separator = path.includes('?') ? '&' : '?';
    const page = await getJson(`${path}${separator}limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor && items.length < max);
  return items;
}
