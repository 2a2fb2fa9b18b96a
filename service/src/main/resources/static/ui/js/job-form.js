// The form that starts a job on a model: a method from GET /v1/methods with its own parameters, datasets and
// the training budget. Only what the user fills in is sent; the rest is left to the service's defaults.

import { postJson } from './api.js';
import { el, showError } from './dom.js';
import { count } from './format.js';

const BUDGET = [
  { name: 'maxSteps', label: 'Max steps', step: 1 },
  { name: 'epochs', label: 'Epochs', step: 1 },
  { name: 'batchSize', label: 'Batch size', step: 1 },
  { name: 'learningRate', label: 'Learning rate', step: 'any' },
];

export function renderJobForm(form, model, methods, datasets, selectedLayers) {
  // the service's own check of the model (GET /v1/models/{id} methods): a method it would refuse is not offered,
  // and the list below the choice says why
  const offer = (name) => (model.methods || []).find((o) => o.name === name);
  const whyNot = (m) => {
    const o = offer(m.name);
    if (o && !o.applies) return o.reason;
    return model.layers.some((l) => l.methods.includes(m.name)) ? null : 'no layer of this model is one it rewrites';
  };
  const usable = methods.filter((m) => whyNot(m) === null);
  const refused = methods.filter((m) => whyNot(m) !== null);
  const methodSelect = el('select', { id: 'job-method', name: 'method', required: true },
    (usable.length ? usable : methods).map((m) => el('option', { value: m.name }, `${m.title} (${m.name})`)));
  const notOffered = refused.length === 0 ? '' : el('details', { id: 'methods-not-offered', class: 'note' },
    el('summary', {}, `Not offered for this model: ${refused.map((m) => m.name).join(', ')}`),
    el('ul', {}, refused.map((m) => el('li', {}, el('strong', {}, m.name), `: ${whyNot(m)}`))));
  const description = el('p', { class: 'note', id: 'method-description' });
  const parameters = el('fieldset', { id: 'method-parameters' });
  const train = datasetSelect('train-dataset', datasets);
  const evaluation = datasetSelect('eval-dataset', datasets);
  const trainNote = el('span', { class: 'note', id: 'train-note' });
  const result = el('div', { id: 'job-submit-result', 'aria-live': 'polite' });
  const method = () => methods.find((m) => m.name === methodSelect.value);

  const showMethod = () => {
    const m = method();
    description.textContent = m.description;
    trainNote.textContent = m.needsTrainingData ? 'required by this method' : 'optional (fine-tuning)';
    parameters.replaceChildren(el('legend', {}, 'Parameters'),
      // layer lists come from the layer table below; an object (tensor ranks per layer) has no field of its own
      ...m.parameters.filter((p) => p.type !== 'string[]' && p.type !== 'object').map(parameterField));
  };
  methodSelect.addEventListener('change', showMethod);

  form.replaceChildren(
    field('job-method', 'Method', methodSelect), notOffered, description, parameters,
    field('train-dataset', 'Training dataset', train, trainNote),
    field('eval-dataset', 'Evaluation dataset', evaluation),
    el('fieldset', {}, el('legend', {}, 'Training budget (blank: defaults)'),
      ...BUDGET.map((b) => field(`budget-${b.name}`, b.label,
        el('input', { id: `budget-${b.name}`, type: 'number', min: 0, step: b.step })))),
    el('button', { type: 'submit', id: 'start-job' }, 'Start job'), result);
  showMethod();

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const submit = form.querySelector('#start-job');
    submit.disabled = true;
    try {
      const job = await postJson('/v1/jobs', request(form, model, method(), selectedLayers()));
      location.assign(`job.html?id=${job.id}`);
    } catch (error) {
      showError(result, error);
      submit.disabled = false;
    }
  });
}

function field(id, label, control, ...after) {
  return el('div', { class: 'field' }, el('label', { for: id }, label), control, ...after);
}

function datasetSelect(id, datasets) {
  return el('select', { id },
    el('option', { value: '' }, 'none'),
    datasets.map((d) => el('option', { value: d.id },
      `${d.name || d.filename} (${count(d.samples)} samples${d.labelled ? ', labelled' : ''})`)));
}

function parameterField(p) {
  const id = `param-${p.name}`;
  const help = el('small', { class: 'note' }, p.description || '');
  if (p.type === 'boolean') {
    const box = el('input', { id, type: 'checkbox', 'data-param': p.name, 'data-default': String(p.defaultValue) });
    box.checked = p.defaultValue === true;
    return el('div', { class: 'field checkbox' }, box, el('label', { for: id }, p.name), help);
  }
  if (p.choices && p.choices.length) {
    const select = el('select', { id, 'data-param': p.name, 'data-type': p.type },
      el('option', { value: '' }, p.defaultValue == null ? 'not set' : `default (${p.defaultValue})`),
      p.choices.map((c) => el('option', { value: c }, c)));
    return field(id, p.name, select, help);
  }
  const input = el('input', { id, type: 'number', 'data-param': p.name, 'data-type': p.type,
    step: p.type === 'integer' ? 1 : 'any', min: p.minimum, max: p.maximum,
    placeholder: p.defaultValue == null ? 'not set' : `default ${p.defaultValue}` });
  return field(id, p.name, input, help);
}

function request(form, model, method, layers) {
  const parameters = {};
  for (const input of form.querySelectorAll('[data-param]')) {
    if (input.type === 'checkbox') {
      if (String(input.checked) !== input.dataset.default) parameters[input.dataset.param] = input.checked;
    } else if (input.value !== '') {
      parameters[input.dataset.param] = input.dataset.type === 'string' ? input.value : Number(input.value);
    }
  }
  if (layers.length) parameters.layers = layers;
  const budget = {};
  for (const b of BUDGET) {
    const value = form.querySelector(`#budget-${b.name}`).value;
    if (value !== '') budget[b.name] = Number(value);
  }
  const body = { modelId: model.id, method: method.name, parameters };
  const train = form.querySelector('#train-dataset').value;
  const evaluation = form.querySelector('#eval-dataset').value;
  if (train) body.trainDatasetId = train;
  if (evaluation) body.evalDatasetId = evaluation;
  if (Object.keys(budget).length) body.budget = budget;
  return body;
}
