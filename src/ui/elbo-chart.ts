/**
 * The live ELBO trace: ELBO against step with a band of ± 2 Monte Carlo standard errors.
 * Data is columnar and only ever appended; setData runs at most once per frame (see FrameScheduler).
 */
import uPlot from 'uplot';
import { axis, followSize, palette } from './chart-style';
import type { FrameScheduler } from './frame';

/** Beyond this many points the trace keeps every other one: a chart is ~1000 px wide anyway. */
const MAX_POINTS = 20_000;

export class TraceBuffer {
  readonly steps: number[] = [];
  readonly elbo: number[] = [];
  readonly upper: number[] = [];
  readonly lower: number[] = [];
  private stride = 1;
  private seen = 0;

  get length(): number {
    return this.steps.length;
  }

  /** Appends (step, elbo, mcse) triples. */
  append(trace: ArrayLike<number>): void {
    for (let i = 0; i + 2 < trace.length; i += 3) {
      if (this.seen++ % this.stride !== 0) continue;
      const elbo = trace[i + 1] as number;
      const band = 2 * (trace[i + 2] as number);
      this.steps.push(trace[i] as number);
      this.elbo.push(elbo);
      this.upper.push(elbo + band);
      this.lower.push(elbo - band);
      if (this.steps.length > MAX_POINTS) this.decimate();
    }
  }

  clear(): void {
    for (const column of [this.steps, this.elbo, this.upper, this.lower]) column.length = 0;
    this.stride = 1;
    this.seen = 0;
  }

  private decimate(): void {
    for (const column of [this.steps, this.elbo, this.upper, this.lower]) {
      let j = 0;
      for (let i = 0; i < column.length; i += 2) column[j++] = column[i] as number;
      column.length = j;
    }
    this.stride *= 2;
  }
}

/** Beyond this ratio of the whole range to the settled range, the start of the run is left off the y axis. */
const CLIP_RATIO = 10;

function extent(u: uPlot, from: number, to: number): [number, number] {
  const [steps, elbo, upper, lower] = u.data as unknown as [number[], number[], number[], number[]];
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < steps.length; i++) {
    const s = steps[i] as number;
    if (s < from || s > to) continue;
    lo = Math.min(lo, lower[i] ?? (elbo[i] as number));
    hi = Math.max(hi, upper[i] ?? (elbo[i] as number));
  }
  return [lo, hi];
}

/**
 * The ELBO usually starts far below where it ends. The whole climb is shown while it fits on the axis;
 * when the start would flatten the rest into a line, the y range leaves off the first tenth of the steps.
 */
function elboRange(u: uPlot): uPlot.Range.MinMax {
  const steps = u.data[0];
  const xMin = u.scales.x?.min ?? steps[0] ?? 0;
  const xMax = u.scales.x?.max ?? steps[steps.length - 1] ?? 1;
  let [lo, hi] = extent(u, xMin, xMax);
  if (steps.length >= 20) {
    const [settledLo, settledHi] = extent(u, xMin + 0.1 * (xMax - xMin), xMax);
    if (settledHi > settledLo && (hi - lo) / (settledHi - settledLo) > CLIP_RATIO)
      [lo, hi] = [settledLo, settledHi];
  }
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [-1, 1];
  const pad = Math.max((hi - lo) * 0.08, Math.abs(hi) * 1e-6, 1e-6);
  return [lo - pad, hi + pad];
}

export class ElboChart {
  readonly trace = new TraceBuffer();
  private plot: uPlot | undefined;
  /** What the trace is: "ELBO", or the bound the objective maximises ("IW bound (K = 8)"). */
  private bound = 'ELBO';
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
      height: Math.max(120, this.container.clientHeight),
      legend: { show: false },
      cursor: { drag: { x: true, y: false }, points: { show: false } },
      scales: { x: { time: false }, y: { range: (u) => elboRange(u) } },
      axes: [
        axis('Optimizer step', { size: 34, labelSize: 22 }),
        axis(() => `${this.bound} (nats)`, { size: 64 }),
      ],
      series: [
        { label: 'Step' },
        { label: 'ELBO', stroke: () => palette().line, width: 1.5, points: { show: false } },
        { label: 'ELBO + 2 MCSE', stroke: () => palette().band, width: 0, points: { show: false } },
        { label: 'ELBO − 2 MCSE', stroke: () => palette().band, width: 0, points: { show: false } },
      ],
      bands: [{ series: [2, 3], fill: () => palette().band }],
    };
    return new uPlot(options, this.data(), this.container);
  }

  private data(): uPlot.AlignedData {
    const t = this.trace;
    return [t.steps, t.elbo, t.upper, t.lower];
  }

  append(trace: ArrayLike<number>): void {
    this.trace.append(trace);
    this.frames.schedule(this.draw);
  }

  clear(): void {
    this.trace.clear();
    this.frames.schedule(this.draw);
  }

  /** Names the bound on the y axis (its label is read when the axes are drawn). */
  setBound(bound: string): void {
    if (bound === this.bound) return;
    this.bound = bound;
    this.frames.schedule(this.draw);
  }

  /** After a theme change: colours are read at draw time. */
  redraw(): void {
    this.plot?.redraw(false, true);
  }

  private render(): void {
    const t = this.trace;
    this.plot?.setData(this.data());
    this.empty.hidden = t.length > 0;
    // Stable, plain-number hooks for tests and for anyone scripting the page.
    const d = this.container.dataset;
    d.points = String(t.length);
    d.firstElbo = t.length ? String(t.elbo[0]) : '';
    d.lastElbo = t.length ? String(t.elbo[t.length - 1]) : '';
    d.lastStep = t.length ? String(t.steps[t.length - 1]) : '';
  }
}
