// Jobs side by side: compare.html?jobs=<id>,<id>... , or compare.html?model=<id> for every succeeded job of a
// model. Each row is a job's report; the scatter puts accuracy against file size, the original included.

import { getJson, listAll } from './api.js';
import { scatterChart } from './charts.js';
import { el, param, showError, table } from './dom.js';
import { bytes, count, ms, parameters, percent, shortId, signedPoints } from './format.js';
import { renderHeader } from './header.js';

renderHeader();
const messages = document.getElementById('messages');

async function jobIds() {
  const listed = param('jobs');
  if (listed) return listed.split(',').filter(Boolean);
  const model = param('model');
  const jobs = await listAll('/v1/jobs?status=succeeded');
  return jobs.filter((j) => !model || j.modelId === model).map((j) => j.id);
}

async function main() {
  const ids = await jobIds();
  if (!ids.length) {
    messages.replaceChildren(el('p', {}, 'No succeeded job to compare: tick some on ',
      el('a', { href: 'index.html' }, 'the index page'), '.'));
    return;
  }
  const reports = await Promise.all(ids.map((id) => getJson(`/v1/jobs/${id}/report`)));
  const models = new Set(reports.map((r) => r.modelId));
  if (models.size > 1) {
    messages.replaceChildren(el('p', { class: 'note' },
      `These jobs compress ${models.size} different models; their figures compare only within a model.`));
  }
  const rows = reports.map((r) => [
    el('a', { href: `job.html?id=${r.jobId}` }, shortId(r.jobId)), r.method, parameters(r.parameters),
    percent(r.compressionRatio), count(r.compressed.parameters), bytes(r.compressed.serializedBytes),
    ms(r.compressed.batch1?.p50Ms), ms(r.compressed.batchN?.p50Ms),
    percent(r.compressed.top1Accuracy, 2), signedPoints(r.accuracyDelta)]);
  const originals = [...new Map(reports.map((r) => [r.modelId, r])).values()];
  const originalRows = originals.map((r) => [`original ${shortId(r.modelId)}`, '–', '–', '100.0 %',
    count(r.original.parameters), bytes(r.original.serializedBytes), ms(r.original.batch1?.p50Ms),
    ms(r.original.batchN?.p50Ms), percent(r.original.top1Accuracy, 2), '–']);
  document.getElementById('comparison').replaceChildren(table(['Job', 'Method', 'Parameters', 'Parameters kept',
    'Parameters after', 'Size', 'Latency b1 p50', 'Latency bN p50', 'Top-1 accuracy', 'Accuracy change'],
  [...originalRows, ...rows], { id: 'compare-table', class: 'figures' }));
  drawScatter(reports, originals);
}

function drawScatter(reports, originals) {
  const container = document.getElementById('scatter');
  const measured = reports.filter((r) => r.compressed.top1Accuracy != null);
  if (!measured.length) {
    container.replaceChildren(el('p', { class: 'note' }, 'No accuracy measured: these jobs had no labelled evaluation data.'));
    return;
  }
  const points = [
    ...originals.filter((r) => r.original.top1Accuracy != null).map((r) => ({
      label: `original ${shortId(r.modelId)}`, x: r.original.serializedBytes, y: r.original.top1Accuracy * 100,
      color: '#94a3b8', pointStyle: 'rectRot' })),
    ...measured.map((r) => ({ label: `${r.method} ${shortId(r.jobId)}`, x: r.compressed.serializedBytes,
      y: r.compressed.top1Accuracy * 100 })),
  ];
  scatterChart(container, 'chart-accuracy-size', 'Top-1 accuracy (%) against file size (bytes)', points,
    { xLabel: 'file size (bytes)', yLabel: 'top-1 accuracy (%)' });
}

main().catch((e) => showError(messages, e));
