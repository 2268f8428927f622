/**
 * One parameter's marginal under q, on the constrained scale: bars from the worker's pre-binned counts,
 * scaled to a density so that the exact posterior's density (where known) can be drawn over it, or the
 * reference posterior's mean ± sd shaded (where a long NUTS run exists).
 */
import uPlot from 'uplot';
import { axis, followSize, palette } from './chart-style';
import type { FrameScheduler } from './frame';

export interface HistogramView {
  readonly name: string;
  /** Left edge of the first bin, and the common width. */
  readonly min: number;
  readonly binWidth: number;
  readonly counts: ArrayLike<number>;
}

export interface Comparison {
  readonly kind: 'exact' | 'reference';
  readonly mean: number;
  readonly sd: number;
}

const CURVE_POINTS = 240;

function normalDensity(x: number, mean: number, sd: number): number {
  const z = (x - mean) / sd;
  return Math.exp(-0.5 * z * z) / (sd * Math.sqrt(2 * Math.PI));
}

export class HistogramChart {
  private plot: uPlot | undefined;
  private view: HistogramView | undefined;
  private comparison: Comparison | undefined;
  private name = '';
  private xRange: uPlot.Range.MinMax = [0, 1];
  private yMax = 1;
  private readonly draw = (): void => this.render();

  constructor(
    private readonly container: HTMLElement,
    private readonly empty: HTMLElement,
    private readonly frames: FrameScheduler,
  ) {
    this.plot = this.create();
    followSize(container, () => this.plot);
    this.render();
  }

  private create(): uPlot {
    const bars = uPlot.paths.bars?.({ size: [1, Infinity], gap: 1 });
    const options: uPlot.Options = {
      width: Math.max(200, this.container.clientWidth),
      height: Math.max(120, this.container.clientHeight),
      legend: { show: false },
      cursor: { drag: { x: false, y: false }, points: { show: false } },
      scales: {
        x: { time: false, range: () => this.xRange },
        y: { range: () => [0, this.yMax] },
      },
      axes: [
        axis(() => (this.name ? `${this.name} (constrained scale)` : 'Parameter value'), {
          size: 34,
          labelSize: 22,
        }),
        axis('Density', { size: 56 }),
      ],
      series: [
        { label: 'Value' },
        {
          label: 'q density',
          ...(bars ? { paths: bars } : {}),
          stroke: () => palette().barEdge,
          fill: () => palette().bar,
          width: 1,
          points: { show: false },
        },
      ],
      hooks: { draw: [(u) => this.drawComparison(u)] },
    };
    return new uPlot(options, [[], []], this.container);
  }

  /** Sets what to draw; rendering waits for the next frame. */
  show(name: string, view: HistogramView | undefined, comparison: Comparison | undefined): void {
    this.name = name;
    this.view = view;
    this.comparison = comparison;
    this.frames.schedule(this.draw);
  }

  redraw(): void {
    this.plot?.redraw(false, true);
  }

  private render(): void {
    const { view, comparison } = this;
    const centers: number[] = [];
    const density: number[] = [];
    let lo = Infinity;
    let hi = -Infinity;
    let yMax = 0;
    if (view) {
      let total = 0;
      for (let i = 0; i < view.counts.length; i++) total += view.counts[i] as number;
      for (let i = 0; i < view.counts.length; i++) {
        const d = total > 0 ? (view.counts[i] as number) / (total * view.binWidth) : 0;
        centers.push(view.min + (i + 0.5) * view.binWidth);
        density.push(d);
        yMax = Math.max(yMax, d);
      }
      lo = view.min;
      hi = view.min + view.counts.length * view.binWidth;
    }
    if (comparison && comparison.sd > 0) {
      // Keep the comparison in view even while q is still far from it.
      lo = Math.min(lo, comparison.mean - 4 * comparison.sd);
      hi = Math.max(hi, comparison.mean + 4 * comparison.sd);
      if (comparison.kind === 'exact') yMax = Math.max(yMax, normalDensity(0, 0, comparison.sd));
    }
    if (!Number.isFinite(lo) || !Number.isFinite(hi) || hi <= lo) [lo, hi] = [0, 1];
    this.xRange = [lo, hi];
    this.yMax = yMax > 0 ? yMax * 1.1 : 1;
    this.plot?.setData([centers, density]);
    this.empty.hidden = view !== undefined;
    this.container.dataset.param = this.name;
    this.container.dataset.bins = String(centers.length);
  }

  private drawComparison(u: uPlot): void {
    const c = this.comparison;
    if (!c || !(c.sd > 0)) return;
    const { ctx } = u;
    const { left, top, width, height } = u.bbox;
    const colors = palette();
    ctx.save();
    ctx.beginPath();
    ctx.rect(left, top, width, height);
    ctx.clip();
    if (c.kind === 'exact') {
      const [lo, hi] = this.xRange;
      ctx.beginPath();
      for (let i = 0; i <= CURVE_POINTS; i++) {
        const x = (lo as number) + (((hi as number) - (lo as number)) * i) / CURVE_POINTS;
        const px = u.valToPos(x, 'x', true);
        const py = u.valToPos(normalDensity(x, c.mean, c.sd), 'y', true);
        if (i === 0) ctx.moveTo(px, py);
        else ctx.lineTo(px, py);
      }
      ctx.strokeStyle = colors.exact;
      ctx.lineWidth = 2 * devicePixelRatio;
      ctx.stroke();
    } else {
      const x0 = u.valToPos(c.mean - c.sd, 'x', true);
      const x1 = u.valToPos(c.mean + c.sd, 'x', true);
      const xm = u.valToPos(c.mean, 'x', true);
      ctx.fillStyle = colors.referenceBand;
      ctx.fillRect(x0, top, x1 - x0, height);
      ctx.beginPath();
      ctx.moveTo(xm, top);
      ctx.lineTo(xm, top + height);
      ctx.setLineDash([6 * devicePixelRatio, 4 * devicePixelRatio]);
      ctx.strokeStyle = colors.reference;
      ctx.lineWidth = 2 * devicePixelRatio;
      ctx.stroke();
    }
    ctx.restore();
  }
}
