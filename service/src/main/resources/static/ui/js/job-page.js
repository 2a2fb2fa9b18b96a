// The job page: follows the job's event stream live, then shows its report and offers the artifact.

import { apiFetch, getJson } from './api.js';
import { el, param, showError } from './dom.js';
import { followJobEvents } from './event-stream.js';
import { count, percent, shortId, time, parameters } from './format.js';
import { renderHeader } from './header.js';
import { LiveMetrics } from './live-metrics.js';
import { renderReport } from './report.js';

renderHeader();
const jobId = param('id');
const messages = document.getElementById('messages');
const live = new LiveMetrics(document.getElementById('live-charts'));

async function main() {
  if (!jobId) {
    messages.replaceChildren(el('p', {}, 'No job given: open this page as job.html?id=<job id>, or pick a job on ',
      el('a', { href: 'index.html' }, 'the index page'), '.'));
    return;
  }
  document.getElementById('job-id').textContent = shortId(jobId);
  document.title = `Job ${shortId(jobId)} · Compression as a service`;
  showJob(await getJson(`/v1/jobs/${jobId}`));
  await followJobEvents(jobId, onEvent);
  const job = await getJson(`/v1/jobs/${jobId}`);
  showJob(job);
  live.remove();
  if (job.status === 'succeeded') {
    await showReport(job);
  } else if (job.error) {
    messages.replaceChildren(el('div', { class: 'error', role: 'alert' }, `Job ${job.status}: ${job.error}`));
  }
  document.body.dataset.jobDone = job.status;
}

function onEvent(event) {
  appendToLog(event);
  if (event.type === 'state') {
    setStatus(event.data.to);
  } else if (event.type === 'progress') {
    document.getElementById('job-progress').value = event.data.progress;
    document.getElementById('job-message').textContent = event.message;
  } else if (event.type === 'metric') {
    live.add(event.data.name, event.data.step, event.data.value);
  }
}

function appendToLog(event) {
  const log = document.getElementById('event-log');
  const what = event.type === 'metric'
    ? `${event.data.name} = ${Number(event.data.value).toPrecision(5)} at step ${event.data.step}`
    : event.message || JSON.stringify(event.data);
  log.append(el('li', { 'data-type': event.type },
    el('time', { datetime: event.at }, new Date(event.at).toLocaleTimeString()),
    el('span', { class: 'event-type' }, event.type), what));
  log.scrollTop = log.scrollHeight;
}

function setStatus(status) {
  const badge = document.getElementById('job-status');
  badge.textContent = status;
  badge.className = `status ${status}`;
}

function showJob(job) {
  setStatus(job.status);
  document.getElementById('job-progress').value = job.progress;
  document.getElementById('job-message').textContent = job.message || job.status;
  const facts = [
    ['Model', el('span', {}, el('a', { href: `model.html?id=${job.modelId}` }, shortId(job.modelId)), ' (',
      el('a', { href: `compare.html?model=${job.modelId}` }, 'compare its jobs'), ')')],
    ['Method', job.method],
    ['Method parameters', parameters(job.parameters)],
    ['Training data', dataset(job.trainDatasetId)],
    ['Evaluation data', dataset(job.evalDatasetId)],
    ['Created', time(job.createdAt)],
    ['Finished', time(job.finishedAt)],
  ];
  if (job.result) {
    facts.push(['Model parameters', `${count(job.result.parametersBefore)} → ${count(job.result.parametersAfter)} `
      + `(${percent(job.result.compressionRatio)} kept)`]);
  }
  document.getElementById('job-facts').replaceChildren(...facts.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)]));
}

const datasetNames = new Map();

/** A dataset by its name (fetched once; the id's start until it arrives, or where it is gone). */
function dataset(id) {
  if (!id) {
    return 'none';
  }
  const span = el('span', { 'data-dataset': id }, datasetNames.get(id) || shortId(id));
  if (!datasetNames.has(id)) {
    getJson(`/v1/datasets/${id}`).then(d => {
      datasetNames.set(id, `${d.name} (${shortId(id)})`);
      document.querySelectorAll(`[data-dataset="${id}"]`).forEach(n => { n.textContent = datasetNames.get(id); });
    }).catch(() => datasetNames.set(id, `${shortId(id)} (deleted)`));
  }
  return span;
}

async function showReport(job) {
  const report = await getJson(`/v1/jobs/${jobId}/report`);
  document.getElementById('report').hidden = false;
  renderReport(report);
  document.getElementById('download').addEventListener('click', () => download(job));
}

/** Fetched through the API wrapper (a plain link could not carry the bearer key), then saved from a blob. */
async function download(job) {
  const result = document.getElementById('download-result');
  result.textContent = 'downloading…';
  try {
    const response = await apiFetch(job.artifact.href);
    const blob = await response.blob();
    const digest = await sha256(blob);
    const link = el('a', { href: URL.createObjectURL(blob), download: `${job.id}-${job.method}.onnx` });
    document.body.append(link);
    link.click();
    link.remove();
    result.textContent = `saved ${count(blob.size)} bytes`;
    result.dataset.bytes = blob.size;
    if (digest) {
      result.dataset.sha256 = digest;
      result.title = `SHA-256 ${digest}${digest === job.artifact.sha256 ? ' (matches the service)' : ''}`;
    }
  } catch (e) {
    showError(result, e);
  }
}

async function sha256(blob) {
  if (!crypto.subtle) {
    return null; // only in secure contexts (https or localhost)
  }
  const hash = await crypto.subtle.digest('SHA-256', await blob.arrayBuffer());
  return [...new Uint8Array(hash)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

main().catch((e) => showError(messages, e));
