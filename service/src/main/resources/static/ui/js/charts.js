// Charts drawn by Chart.js (served from its WebJar, loaded as the global Chart). Each chart is a <figure> with a
// table of the very values it plots beside the canvas, so the numbers can be read (and checked) without pixels.

import { el } from './dom.js';

const Chart = window.Chart;
Chart.defaults.animation = false;
Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
Chart.defaults.maintainAspectRatio = false;

export const PALETTE = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#ca8a04', '#db2777'];
export const BEFORE = '#94a3b8';
export const AFTER = '#2563eb';

function figure(parent, id, title, values) {
  const canvas = el('canvas', { role: 'img', 'aria-label': title });
  const node = el('figure', { class: 'chart', id },
    el('figcaption', {}, title),
    el('div', { class: 'canvas-box' }, canvas),
    values ? el('details', {}, el('summary', {}, 'Values'), values) : null);
  parent.append(node);
  return canvas;
}

function valuesTable(headers, rows) {
  return el('table', { class: 'chart-values' },
    el('thead', {}, el('tr', {}, headers.map((h) => el('th', { scope: 'col' }, h)))),
    el('tbody', {}, rows.map((row) => el('tr', {}, row.map((v) => el('td', {}, v == null ? '' : String(v)))))));
}

function axis(title, extra = {}) {
  return { title: { display: Boolean(title), text: title }, ...extra };
}

/** Series of [x, y] points as lines; the table has one row per x, one column per series. */
export function lineChart(parent, id, title, series, { xLabel, yLabel, values = true, yFromZero = false } = {}) {
  const xs = [...new Set(series.flatMap((s) => s.points.map((p) => p[0])))].sort((a, b) => a - b);
  const rows = xs.map((x) => [x, ...series.map((s) => s.points.find((p) => p[0] === x)?.[1])]);
  const canvas = figure(parent, id, title,
    values ? valuesTable([xLabel || 'x', ...series.map((s) => s.label)], rows) : null);
  return new Chart(canvas, {
    type: 'line',
    data: {
      datasets: series.map((s, i) => ({
        label: s.label,
        data: s.points.map(([x, y]) => ({ x, y })),
        borderColor: s.color || PALETTE[i % PALETTE.length],
        backgroundColor: s.color || PALETTE[i % PALETTE.length],
        pointRadius: s.points.length > 40 ? 0 : 2,
        borderWidth: 2,
        stepped: s.stepped || false,
      })),
    },
    options: {
      parsing: true,
      scales: { x: axis(xLabel, { type: 'linear' }), y: axis(yLabel, yFromZero ? { beginAtZero: true } : {}) },
      plugins: { legend: { display: series.length > 1 } },
    },
  });
}

/** Bars per label, one dataset per series; the table has one row per label. */
export function barChart(parent, id, title, labels, datasets, { yLabel, horizontal = false } = {}) {
  const rows = labels.map((label, i) => [label, ...datasets.map((d) => d.values[i])]);
  const canvas = figure(parent, id, title, valuesTable(['', ...datasets.map((d) => d.label)], rows));
  if (horizontal) {
    canvas.parentElement.style.height = `${Math.max(260, labels.length * 26 + 60)}px`;
  }
  return new Chart(canvas, {
    type: 'bar',
    data: {
      labels,
      datasets: datasets.map((d, i) => ({
        label: d.label,
        data: d.values,
        backgroundColor: d.color || PALETTE[i % PALETTE.length],
      })),
    },
    options: {
      indexAxis: horizontal ? 'y' : 'x',
      scales: horizontal ? { x: axis(yLabel, { beginAtZero: true }) } : { y: axis(yLabel, { beginAtZero: true }) },
      plugins: { legend: { display: datasets.length > 1 } },
    },
  });
}

/** One labelled point per series; the table has one row per point. */
export function scatterChart(parent, id, title, points, { xLabel, yLabel } = {}) {
  const rows = points.map((p) => [p.label, p.x, p.y]);
  const canvas = figure(parent, id, title, valuesTable(['', xLabel || 'x', yLabel || 'y'], rows));
  return new Chart(canvas, {
    type: 'scatter',
    data: {
      datasets: points.map((p, i) => ({
        label: p.label,
        data: [{ x: p.x, y: p.y }],
        backgroundColor: p.color || PALETTE[i % PALETTE.length],
        pointRadius: 6,
        pointStyle: p.pointStyle || 'circle',
      })),
    },
    options: { scales: { x: axis(xLabel), y: axis(yLabel) } },
  });
}
