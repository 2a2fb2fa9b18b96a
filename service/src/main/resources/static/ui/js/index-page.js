// The index: every model and job, newest first, with links to their pages and a way to compare jobs.

import { listAll } from './api.js';
import { el, showError, table } from './dom.js';
import { bytes, count, percent, shortId, signedPoints, time } from './format.js';
import { renderHeader } from './header.js';

renderHeader();

async function main() {
  const [models, jobs] = await Promise.all([listAll('/v1/models'), listAll('/v1/jobs')]);
  const names = new Map(models.map((m) => [m.id, m.name || m.filename || shortId(m.id)]));
  document.getElementById('models').replaceChildren(models.length
    ? table(['Model', 'Parameters', 'Size', 'Layers', 'Uploaded'], models.map((m) => [
      el('a', { href: `model.html?id=${m.id}` }, names.get(m.id)), count(m.parameters), bytes(m.sizeBytes),
      count(m.layers.length), time(m.createdAt)]), { id: 'models-table', class: 'figures' })
    : el('p', {}, 'No model yet.'));
  document.getElementById('jobs').replaceChildren(jobs.length
    ? table(['Job', 'Model', 'Method', 'Status', 'Parameters kept', 'Accuracy change', 'Created', 'Compare'],
      jobs.map((j) => [
        el('a', { href: `job.html?id=${j.id}` }, shortId(j.id)), names.get(j.modelId) || shortId(j.modelId), j.method,
        el('span', { class: `status ${j.status}` }, j.status), percent(j.result?.compressionRatio),
        signedPoints(j.result?.accuracyDelta), time(j.createdAt),
        j.status === 'succeeded'
          ? el('input', { type: 'checkbox', name: 'jobs', value: j.id, 'aria-label': `compare job ${shortId(j.id)}` })
          : '']), { id: 'jobs-table', class: 'figures' })
    : el('p', {}, 'No job yet: upload a model and start one from its page.'));
  // compare.html takes the ids comma-separated in one parameter
  document.getElementById('compare-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const ids = [...document.querySelectorAll('input[name=jobs]:checked')].map((c) => c.value);
    location.assign(`compare.html${ids.length ? `?jobs=${ids.join(',')}` : ''}`);
  });
}

main().catch((e) => showError(document.getElementById('messages'), e));
