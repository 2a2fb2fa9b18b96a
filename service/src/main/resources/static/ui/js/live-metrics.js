// Training metrics plotted while the job runs, straight from its "metric" events, grouped as the report groups its
// curves: the loss, the total rank, and every layer's rank in one chart (a chart per layer had shown one dot each
// until the first re-orthogonalisation). Ranks are counts, so their axis starts at 0 and their lines step. They have
// no values table: the report's curves replace them, with one, once the job is done.

import { lineChart, PALETTE } from './charts.js';

const LAYER_RANK = 'rank:';

/** The chart a metric belongs to: its id, title and axis. */
function chartOf(name) {
  if (name.startsWith(LAYER_RANK)) {
    return { key: 'layer-ranks', title: 'Rank per layer (live)', yLabel: 'rank', counts: true };
  }
  if (name === 'totalRank') {
    return { key: 'total-rank', title: 'Total rank (live)', yLabel: 'rank', counts: true };
  }
  return { key: name, title: `${name} (live)`, yLabel: name, counts: false };
}

export class LiveMetrics {
  constructor(container) {
    this.container = container;
    this.charts = new Map();
    this.pending = false;
  }

  add(name, step, value) {
    const of = chartOf(name);
    let chart = this.charts.get(of.key);
    if (!chart) {
      chart = lineChart(this.container, `live-${of.key}`, of.title, [],
        { xLabel: 'step', yLabel: of.yLabel, values: false, yFromZero: of.counts });
      this.charts.set(of.key, chart);
    }
    const label = name.startsWith(LAYER_RANK) ? name.slice(LAYER_RANK.length) : name;
    let series = chart.data.datasets.find((d) => d.label === label);
    if (!series) {
      const color = PALETTE[chart.data.datasets.length % PALETTE.length];
      series = { label, data: [], borderColor: color, backgroundColor: color, pointRadius: 3, borderWidth: 2,
        stepped: of.counts };
      chart.data.datasets.push(series);
      chart.options.plugins.legend.display = chart.data.datasets.length > 1;
    }
    series.data.push({ x: step, y: value });
    // Metrics arrive in bursts; one redraw per frame is plenty.
    if (!this.pending) {
      this.pending = true;
      requestAnimationFrame(() => {
        this.pending = false;
        this.charts.forEach((c) => c.update('none'));
      });
    }
  }

  /** The charts drawn so far, by id, each with its series' labels and points (for tests and tools). */
  snapshot() {
    return [...this.charts.entries()].map(([key, c]) => ({
      id: `live-${key}`,
      yMin: c.scales?.y?.min,
      series: c.data.datasets.map((d) => ({ label: d.label, points: d.data.map((p) => [p.x, p.y]) })),
    }));
  }

  remove() {
    this.charts.forEach((c) => c.destroy());
    this.charts.clear();
    this.container.replaceChildren();
  }
}
