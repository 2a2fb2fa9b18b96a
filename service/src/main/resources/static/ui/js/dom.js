// Small helpers to build markup without string concatenation (no HTML injection from API values).

export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value == null || value === false) continue;
    if (name === 'class') node.className = value;
    else if (name === 'text') node.textContent = value;
    else if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? '' : value);
  }
  for (const child of children.flat()) {
    if (child != null) node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

export function table(headers, rows, attributes = {}) {
  return el('table', attributes,
    el('thead', {}, el('tr', {}, headers.map((h) => el('th', { scope: 'col' }, h)))),
    el('tbody', {}, rows.map((row) => el('tr', {}, row.map((cell, i) =>
      i === 0 ? el('th', { scope: 'row' }, cell) : el('td', {}, cell))))));
}

export function showError(container, error) {
  const problem = error.problem || {};
  const items = (problem.errors || []).map((e) => el('li', {}, typeof e === 'string' ? e : JSON.stringify(e)));
  container.replaceChildren(el('div', { class: 'error', role: 'alert' },
    el('strong', {}, error.status ? `Refused (${error.status}): ` : 'Error: '), error.message,
    items.length ? el('ul', {}, items) : null,
    error.status === 401 ? keyHint() : null));
}

/** What a 401 on a page means for someone who has no key yet, and how to get one. */
function keyHint() {
  return el('p', { class: 'hint' },
    'The pages call the API with the key in the header above. No key yet? An operator makes one with the admin '
    + 'token (in the data folder\'s secrets/admin-token, unless CAAS_ADMIN_TOKEN was set): POST /v1/admin/tenants '
    + 'creates a tenant, POST /v1/admin/tenants/{id}/keys a key for it, shown once (the README\'s walk-through, '
    + 'step 0). Paste it above and press Save.');
}

export function param(name) {
  return new URLSearchParams(location.search).get(name);
}
