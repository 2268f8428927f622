/**
 * The joint of two parameters under q: a 2-D histogram of q's draws on the constrained scale, drawn as a
 * heat map with the parameters named on its axes, so that a banana or a funnel shows its shape, which the
 * marginals hide. binPairs (pure, unit-tested) does the counting; Density2dChart draws a grid it made.
 */
import uPlot from 'uplot';
import { axis, followSize, palette } from './chart-style';
import type { FrameScheduler } from './frame';

export interface DensityGrid {
  /** Cells along x and y. */
  readonly nx: number;
  readonly ny: number;
  /** The grid's span on each axis: cell (i, j) covers x in [x0 + i dx, x0 + (i + 1) dx), likewise y. */
  readonly x: readonly [number, number];
  readonly y: readonly [number, number];
  /** Row-major from the bottom: the count of cell (i, j) is counts[j * nx + i]. */
  readonly counts: Uint32Array;
  /** Draws counted: finite in both coordinates and inside the span. */
  readonly binned: number;
  /** The largest cell's count (0 for an empty grid). */
  readonly max: number;
}

export interface BinOptions {
  /** Cells per axis, or [nx, ny]; default 40. */
  readonly bins?: number | readonly [number, number];
  /** A fixed span per axis; an axis without one spans its draws (less the trimmed tails). */
  readonly x?: readonly [number, number];
  readonly y?: readonly [number, number];
  /**
   * The fraction of the draws left out in each tail of an axis whose span comes from the draws (default
   * 0.005), so that a few far draws of a heavy tail do not squash the body into a few cells.
   */
  readonly trim?: number;
}

const DEFAULT_BINS = 40;
const DEFAULT_TRIM = 0.005;

/** The p-quantile of sorted values (linear between order statistics). */
function quantile(sorted: Float64Array, p: number): number {
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const a = sorted[lo] as number;
  const b = sorted[Math.min(sorted.length - 1, lo + 1)] as number;
  return a + (b - a) * (h - lo);
}

/**
 * The span of some values: their trimmed quantiles; a width of zero (one draw, or a constant column) is
 * widened about the value, so that it lands in the middle cell instead of dividing by zero.
 */
function spanOf(values: Float64Array, trim: number): [number, number] {
  if (values.length === 0) return [0, 1];
  const sorted = values.slice().sort();
  let lo = quantile(sorted, trim);
  let hi = quantile(sorted, 1 - trim);
  if (!(hi > lo)) {
    const centre = (lo + hi) / 2;
    const half = centre === 0 ? 0.5 : Math.abs(centre) * 0.1;
    lo = centre - half;
    hi = centre + half;
  }
  return [lo, hi];
}

function cellOf(v: number, lo: number, hi: number, n: number): number {
  if (v < lo || v > hi) return -1;
  // The upper edge belongs to the last cell: a closed span counts its maximum.
  return Math.min(n - 1, Math.floor(((v - lo) / (hi - lo)) * n));
}

function cells(bins: BinOptions['bins']): [number, number] {
  const [nx, ny] = typeof bins === 'number' ? [bins, bins] : (bins ?? [DEFAULT_BINS, DEFAULT_BINS]);
  if (!Number.isInteger(nx) || !Number.isInteger(ny) || nx < 1 || ny < 1) {
    throw new Error(`binPairs: cells per axis must be positive integers, got ${nx} x ${ny}`);
  }
  return [nx, ny];
}

/**
 * Counts the pairs (xs[k], ys[k]) into an nx x ny grid. A pair with a NaN or infinite coordinate is not
 * counted (and does not move the span); nor is a pair outside a fixed span or in a trimmed tail.
 */
export function binPairs(
  xs: ArrayLike<number>,
  ys: ArrayLike<number>,
  options: BinOptions = {},
): DensityGrid {
  if (xs.length !== ys.length) {
    throw new Error(`binPairs: ${xs.length} x values but ${ys.length} y values`);
  }
  const [nx, ny] = cells(options.bins);
  const trim = options.trim ?? DEFAULT_TRIM;
  if (!(trim >= 0 && trim < 0.5)) throw new Error(`binPairs: trim must be in [0, 0.5), got ${trim}`);
  const fx: number[] = [];
  const fy: number[] = [];
  for (let k = 0; k < xs.length; k++) {
    const x = xs[k] as number;
    const y = ys[k] as number;
    if (Number.isFinite(x) && Number.isFinite(y)) {
      fx.push(x);
      fy.push(y);
    }
  }
  const x = options.x ?? spanOf(Float64Array.from(fx), trim);
  const y = options.y ?? spanOf(Float64Array.from(fy), trim);
  if (!(x[1] > x[0]) || !(y[1] > y[0])) {
    throw new Error(`binPairs: a fixed span must have hi > lo, got x ${x.join('..')}, y ${y.join('..')}`);
  }
  const counts = new Uint32Array(nx * ny);
  let binned = 0;
  let max = 0;
  for (let k = 0; k < fx.length; k++) {
    const i = cellOf(fx[k] as number, x[0], x[1], nx);
    const j = cellOf(fy[k] as number, y[0], y[1], ny);
    if (i < 0 || j < 0) continue;
    const c = ((counts[j * nx + i] as number) + 1) >>> 0;
    counts[j * nx + i] = c;
    binned++;
    if (c > max) max = c;
  }
  return { nx, ny, x: [x[0], x[1]], y: [y[0], y[1]], counts, binned, max };
}

/** Column j of `count` rows of `stride` values (a DrawSet's layout), as float64. */
export function drawColumn(
  values: ArrayLike<number>,
  count: number,
  stride: number,
  j: number,
): Float64Array {
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) out[i] = values[i * stride + j] as number;
  return out;
}

export interface DensityView {
  readonly xName: string;
  readonly yName: string;
  readonly grid: DensityGrid;
  /** Live draws while the fit runs, or the final q's. */
  readonly source: 'live' | 'final';
}

export class Density2dChart {
  private plot: uPlot | undefined;
  private view: DensityView | undefined;
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
    const options: uPlot.Options = {
      width: Math.max(200, this.container.clientWidth),
      height: Math.max(160, this.container.clientHeight),
      legend: { show: false },
      cursor: { show: false },
      scales: {
        x: { time: false, range: () => this.span('x') },
        y: { range: () => this.span('y') },
      },
      axes: [
        axis(() => this.view?.xName ?? 'Parameter value', { size: 34, labelSize: 22 }),
        axis(() => this.view?.yName ?? 'Parameter value', { size: 56 }),
      ],
      // No series of its own: the cells are painted in the draw hook, on the axes uPlot lays out.
      series: [{ label: 'x' }, { label: 'y', show: false }],
      hooks: { draw: [(u) => this.paint(u)] },
    };
    return new uPlot(options, [[], []], this.container);
  }

  private span(axisName: 'x' | 'y'): uPlot.Range.MinMax {
    const grid = this.view?.grid;
    return grid ? [grid[axisName][0], grid[axisName][1]] : [0, 1];
  }

  /** Sets what to draw; rendering waits for the next frame. */
  show(view: DensityView | undefined): void {
    this.view = view;
    this.frames.schedule(this.draw);
  }

  redraw(): void {
    this.plot?.redraw(false, true);
  }

  private render(): void {
    const grid = this.view?.grid;
    // Two x values give uPlot a domain; the y series is hidden.
    this.plot?.setData(
      grid
        ? [
            [grid.x[0], grid.x[1]],
            [null, null],
          ]
        : [[], []],
    );
    this.empty.hidden = grid !== undefined && grid.binned > 0;
    const d = this.container.dataset;
    d.paramX = this.view?.xName ?? '';
    d.paramY = this.view?.yName ?? '';
    d.draws = String(grid?.binned ?? 0);
    d.source = this.view?.source ?? 'none';
  }

  /** Each cell's shade grows with the square root of its count: a tail of a few draws stays visible. */
  private paint(u: uPlot): void {
    const grid = this.view?.grid;
    if (!grid || grid.max === 0) return;
    const { ctx } = u;
    const { left, top, width, height } = u.bbox;
    const dx = (grid.x[1] - grid.x[0]) / grid.nx;
    const dy = (grid.y[1] - grid.y[0]) / grid.ny;
    ctx.save();
    ctx.beginPath();
    ctx.rect(left, top, width, height);
    ctx.clip();
    ctx.fillStyle = palette().line;
    for (let j = 0; j < grid.ny; j++) {
      const y0 = u.valToPos(grid.y[0] + j * dy, 'y', true);
      const y1 = u.valToPos(grid.y[0] + (j + 1) * dy, 'y', true);
      for (let i = 0; i < grid.nx; i++) {
        const c = grid.counts[j * grid.nx + i] as number;
        if (c === 0) continue;
        const x0 = u.valToPos(grid.x[0] + i * dx, 'x', true);
        const x1 = u.valToPos(grid.x[0] + (i + 1) * dx, 'x', true);
        ctx.globalAlpha = 0.08 + 0.92 * Math.sqrt(c / grid.max);
        // Half a pixel of overlap so that neighbouring cells leave no hairline gaps.
        ctx.fillRect(x0, y1, x1 - x0 + 0.5, y0 - y1 + 0.5);
      }
    }
    ctx.restore();
  }
}
