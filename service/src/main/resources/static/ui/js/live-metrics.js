// Training metrics plotted while the job runs, straight from its "metric" events. They have no values table:
// the report's curves replace them, with one, once the job is done.

import { lineChart } from './charts.js';

export class LiveMetrics {
  constructor(container) {
    this.container = container;
    this.charts = new Map();
    this.pending = false;
  }

  add(name, step, value) {
    let chart = this.charts.get(name);
    if (!chart) {
      chart = lineChart(this.container, `live-${name}`, `${name} (live)`, [{ label: name, points: [] }],
        { xLabel: 'step', yLabel: name, values: false });
      this.charts.set(name, chart);
    }
    chart.data.datasets[0].data.push({ x: step, y: value });
    // Metrics arrive in bursts; one redraw per frame is plenty.
    if (!this.pending) {
      this.pending = true;
      requestAnimationFrame(() => {
        this.pending = false;
        this.charts.forEach((c) => c.update('none'));
      });
    }
  }

  remove() {
    this.charts.forEach((c) => c.destroy());
    this.charts.clear();
    this.container.replaceChildren();
  }
}
