// The header shared by every page: navigation and the API key field (kept in localStorage by api.js).

import { apiKey, setApiKey } from './api.js';
import { el } from './dom.js';

export function renderHeader() {
  const input = el('input', { id: 'api-key', type: 'password', autocomplete: 'off', value: apiKey(),
    placeholder: 'not set' });
  const saved = el('span', { class: 'saved', 'aria-live': 'polite' });
  const form = el('form', { class: 'api-key', onsubmit: (e) => {
    e.preventDefault();
    setApiKey(input.value.trim());
    saved.textContent = input.value.trim() ? 'saved' : 'cleared';
  } }, el('label', { for: 'api-key' }, 'API key'), input, el('button', { type: 'submit' }, 'Save'), saved);
  document.querySelector('header').replaceChildren(
    el('a', { class: 'brand', href: 'index.html' }, 'Compression as a service'),
    el('nav', { 'aria-label': 'Pages' },
      el('a', { href: 'index.html' }, 'Models & jobs'),
      el('a', { href: 'model.html' }, 'Upload'),
      el('a', { href: 'compare.html' }, 'Compare')),
    form);
}
