// A finished job's report (GET /v1/jobs/{id}/report): before/after figures, training curves, per-layer ranks.

import { AFTER, BEFORE, barChart, lineChart } from './charts.js';
import { el, table } from './dom.js';
import { bytes, count, ms, percent, signedPoints } from './format.js';

export function renderReport(report) {
  renderSummary(document.getElementById('report-summary'), report);
  renderComparison(document.getElementById('comparison-charts'), report);
  renderCurves(document.getElementById('curve-charts'), report.curves || {});
  renderLayers(document.getElementById('layer-charts'), report.layers || []);
}

function change(before, after) {
  return before ? `${((after / before - 1) * 100).toFixed(1)} %` : '–';
}

function renderSummary(container, r) {
  const o = r.original;
  const c = r.compressed;
  const rows = [
    ['Parameters', count(o.parameters), count(c.parameters), change(o.parameters, c.parameters)],
    ['File size', bytes(o.serializedBytes), bytes(c.serializedBytes), change(o.serializedBytes, c.serializedBytes)],
    ['Latency, batch 1 (p50)', ms(o.batch1?.p50Ms), ms(c.batch1?.p50Ms), change(o.batch1?.p50Ms, c.batch1?.p50Ms)],
    [`Latency, batch ${o.batchN?.batchSize ?? 'N'} (p50)`, ms(o.batchN?.p50Ms), ms(c.batchN?.p50Ms),
      change(o.batchN?.p50Ms, c.batchN?.p50Ms)],
    ['Top-1 accuracy', percent(o.top1Accuracy, 2), percent(c.top1Accuracy, 2), signedPoints(r.accuracyDelta)],
    ['MACs per sample', count(r.macs?.totalBefore), count(r.macs?.totalAfter),
      change(r.macs?.totalBefore, r.macs?.totalAfter)],
  ];
  const notes = [];
  // Paired rounds say plainly whether the compressed model is slower; a reader must not miss it.
  if (r.speed) notes.push(r.speed.verdict);
  if (r.agreement?.measure === 'correlation') {
    // one value per sample: its argmax always agrees and its cosine is only its sign
    const corr = r.agreement.correlation == null ? 'undefined (the outputs do not vary)'
      : r.agreement.correlation.toFixed(4);
    notes.push(`One output value per sample: it correlates with the original's at ${corr} over `
      + `${count(r.agreement.samples)} samples, mean relative error ${r.agreement.meanRelativeError?.toFixed(4)}.`);
  } else if (r.agreement?.measure === 'cosine') {
    // several values that are not known to be class scores (no labels, no Softmax): their argmax picks no class
    notes.push(`${count(r.agreement.outputsPerSample)} output values per sample, not known to be class scores: `
      + `mean cosine to the original's ${r.agreement.meanCosine?.toFixed(4)}, mean relative error `
      + `${r.agreement.meanRelativeError?.toFixed(4)} over ${count(r.agreement.samples)} samples (the argmax `
      + `agrees on ${percent(r.agreement.argmaxAgreement, 2)}, which means something only for class scores).`);
  } else if (r.agreement) {
    notes.push(`Outputs agree with the original's argmax on ${percent(r.agreement.argmaxAgreement, 2)} of `
      + `${count(r.agreement.samples)} samples (mean cosine ${r.agreement.meanCosine?.toFixed(4)}).`);
  }
  if (o.evaluatedSamples) notes.push(`Accuracy measured on ${count(o.evaluatedSamples)} samples.`);
  if (r.target?.met != null) notes.push(`Target ${r.target.met ? 'met' : 'not met'}.`);
  if (r.measurementNote) notes.push(r.measurementNote);
  if (r.macs?.note) notes.push(r.macs.note);
  container.replaceChildren(
    table(['', 'Original', 'Compressed', 'Change'], rows, { id: 'summary-table', class: 'figures' }),
    ...notes.map((n) => el('p', { class: 'note' }, n)));
}

function beforeAfter(parent, id, title, before, after, yLabel) {
  barChart(parent, id, title, ['original', 'compressed'], [{ label: yLabel, values: [before, after] }], { yLabel });
  // One dataset, two bars: colour them apart.
  const chart = window.Chart.getChart(parent.querySelector(`#${id} canvas`));
  chart.data.datasets[0].backgroundColor = [BEFORE, AFTER];
  chart.update('none');
}

function renderComparison(container, r) {
  const o = r.original;
  const c = r.compressed;
  container.replaceChildren();
  beforeAfter(container, 'chart-parameters', 'Parameters', o.parameters, c.parameters, 'parameters');
  beforeAfter(container, 'chart-bytes', 'File size (bytes)', o.serializedBytes, c.serializedBytes, 'bytes');
  barChart(container, 'chart-latency', 'Latency p50 (ms, ONNX Runtime)',
    ['batch 1', `batch ${o.batchN?.batchSize ?? 'N'}`],
    [{ label: 'original', values: [o.batch1?.p50Ms, o.batchN?.p50Ms], color: BEFORE },
      { label: 'compressed', values: [c.batch1?.p50Ms, c.batchN?.p50Ms], color: AFTER }], { yLabel: 'ms' });
  if (o.top1Accuracy != null) {
    beforeAfter(container, 'chart-accuracy', 'Top-1 accuracy (%)', o.top1Accuracy * 100, c.top1Accuracy * 100, '%');
  } else {
    container.append(el('p', { class: 'note' }, 'No accuracy: the job had no labelled evaluation dataset.'));
  }
}

function renderCurves(container, curves) {
  container.replaceChildren();
  const named = (prefix) => Object.entries(curves).filter(([name]) => name.startsWith(prefix))
    .map(([name, points]) => ({ label: name.slice(prefix.length), points, stepped: true }));
  if (curves.loss) {
    lineChart(container, 'chart-loss', 'Training loss', [{ label: 'loss', points: curves.loss }],
      { xLabel: 'step', yLabel: 'loss' });
  }
  if (curves.totalRank) {
    lineChart(container, 'chart-total-rank', 'Total rank', [{ label: 'total rank', points: curves.totalRank, stepped: true }],
      { xLabel: 'step', yLabel: 'rank' });
  }
  const ranks = named('rank:');
  if (ranks.length) {
    lineChart(container, 'chart-layer-ranks', 'Rank per layer', ranks, { xLabel: 'step', yLabel: 'rank' });
  }
  const energy = named('energy:');
  if (energy.length) {
    lineChart(container, 'chart-energy', 'Spectral energy kept by rank', energy.map((s) => ({ ...s, stepped: false })),
      { xLabel: 'rank', yLabel: 'energy' });
  }
  if (!container.children.length) {
    container.append(el('p', { class: 'note' }, 'No curves: this job did not train.'));
  }
}

function renderLayers(container, layers) {
  container.replaceChildren();
  if (!layers.length) {
    container.append(el('p', { class: 'note' }, 'No layer was considered.'));
    return;
  }
  const names = layers.map((l) => l.node);
  barChart(container, 'chart-ranks', 'Rank per layer: original vs final', names,
    [{ label: 'original rank', values: layers.map((l) => l.originalRank), color: BEFORE },
      { label: 'final rank', values: layers.map((l) => l.finalRank), color: AFTER }],
    { yLabel: 'rank', horizontal: layers.length > 8 });
  container.append(table(['Layer', 'Op', 'Matrix', 'Rank', 'Parameters', 'Factorized', 'Note'],
    layers.map((l) => [l.node, l.opType, (l.matrixShape || []).join('×'), `${l.originalRank} → ${l.finalRank}`,
      `${count(l.parametersBefore)} → ${count(l.parametersAfter)}`, l.factorized ? 'yes' : 'no', l.note || '']),
    { id: 'layer-table', class: 'figures' }));
}
