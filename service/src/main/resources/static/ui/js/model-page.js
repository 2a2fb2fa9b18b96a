// The model page: upload when no model is given; otherwise its summary, its layers with the methods that
// apply to each, and the form that starts a job on it.

import { getJson, listAll } from './api.js';
import { el, param, showError, table } from './dom.js';
import { bytes, count, time } from './format.js';
import { renderHeader } from './header.js';
import { renderJobForm } from './job-form.js';
import { enableUpload } from './upload.js';

renderHeader();
const messages = document.getElementById('messages');

async function main() {
  enableUpload(document.getElementById('drop-zone'), document.getElementById('model-file'),
    document.getElementById('upload-status'));
  const id = param('id');
  if (!id) return;
  document.getElementById('upload').hidden = true;
  const [model, methods, datasets] = await Promise.all([
    getJson(`/v1/models/${id}`), getJson('/v1/methods'), listAll('/v1/datasets')]);
  showModel(model);
  const selected = showLayers(model);
  document.getElementById('job-form-section').hidden = false;
  renderJobForm(document.getElementById('job-form'), model, methods.items, datasets, selected);
}

function showModel(m) {
  document.getElementById('model-title').textContent = `Model ${m.name || m.filename || m.id}`;
  document.title = `${m.name || 'Model'} · Compression as a service`;
  const tensors = (list) => list.map((t) => `${t.name} ${t.elementType} [${t.shape.join(', ')}]`).join('; ');
  const facts = [
    ['Id', m.id], ['File', `${m.filename || '–'} (${bytes(m.sizeBytes)})`], ['Parameters', count(m.parameters)],
    ['Nodes', count(m.nodeCount)], ['Opset', m.opsetVersion], ['Producer', m.producer || '–'],
    ['Inputs', tensors(m.inputs)], ['Outputs', tensors(m.outputs)], ['Uploaded', time(m.createdAt)],
  ];
  if (m.macs) {
    // layers inside If branches and Loop/Scan bodies run when taken, or once per iteration: in no total
    const perRun = m.layers.some((l) => l.subgraph) ? '; the main graph\'s, its subgraphs\' layers per run below' : '';
    facts.push(['MACs per sample', m.macs.total != null
      ? `${count(m.macs.total)} at input [${(m.macs.sampleShape || []).join(', ')}] (batch 1)${perRun}`
      : m.macs.note]);
  }
  if (m.unsupportedOperators?.length) {
    facts.push(['Not fine-tunable', `operators the interpreter lacks: ${m.unsupportedOperators.join(', ')}`]);
  }
  document.getElementById('model-facts').replaceChildren(...facts.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)]));
  document.getElementById('model').hidden = false;
}

/** The layer table; returns a function giving the names of the ticked layers. */
function showLayers(m) {
  const section = document.getElementById('layers');
  section.hidden = false;
  if (!m.layers.length) {
    document.getElementById('layer-table').replaceChildren(el('p', {}, 'No weighted layer any method can rewrite.'));
    return () => [];
  }
  const total = m.parameters || 1;
  // layers inside If branches and Loop/Scan bodies come after the main graph's, grouped by subgraph
  const nested = m.layers.some((l) => l.subgraph);
  const rows = m.layers.map((l) => [
    ...(nested ? [l.subgraph || 'main graph'] : []),
    el('label', {}, el('input', { type: 'checkbox', name: 'layer', value: l.node }), ' ', l.node),
    l.opType, l.kind, `[${l.weightShape.join(' × ')}]`, count(l.parameters),
    `${((l.parameters / total) * 100).toFixed(1)} %`,
    l.subgraph && l.macs != null ? `${count(l.macs)} per run` : count(l.macs), l.methods.length ? l.methods.join(', ') : 'none',
  ]);
  document.getElementById('layer-table').replaceChildren(
    table([...(nested ? ['Subgraph'] : []), 'Layer', 'Op', 'Kind', 'Weight', 'Parameters', 'Share', 'MACs',
      'Methods'], rows, { id: 'layers-table', class: 'figures' }));
  return () => [...section.querySelectorAll('input[name=layer]:checked')].map((c) => c.value);
}

main().catch((e) => showError(messages, e));
