/**
 * "Did it work?": the PSIS k-hat of q against the posterior, live while the fit runs (the worker diagnoses
 * q every few seconds from fewer draws) and final at the end (from settings.diagnosticDraws draws). The
 * number is colour-coded by its level (good < 0.5, usable with care up to 0.7, unreliable above), with the
 * one-sentence reading and a small chart of k-hat over the run with the two thresholds.
 */
import uPlot from 'uplot';
import { KHAT_GOOD, KHAT_USABLE, type KhatLevel } from '../vi/diagnostics/khat-reading';
import type { KhatSample } from '../../workers/protocol';
import { axis, followSize, palette } from './chart-style';
import { formatInteger } from './format';
import type { FrameScheduler } from './frame';

export interface KhatElements {
  /** The number (data-testid "khat"): its text is k-hat, data-level good|ok|bad|unknown (none before any). */
  readonly value: HTMLElement;
  readonly label: HTMLElement;
  readonly reading: HTMLElement;
  readonly chart: HTMLElement;
  readonly empty: HTMLElement;
}

const LABELS: Record<KhatLevel, string> = {
  good: 'good',
  ok: 'usable with care',
  bad: 'unreliable',
  unknown: 'not estimated',
};

/** Two decimals, three next to a threshold (as readKhat words it), plain digits so tests can read them. */
export function formatKhat(khat: number): string {
  if (!Number.isFinite(khat)) return '—';
  const near = [KHAT_GOOD, KHAT_USABLE].some((t) => Math.abs(khat - t) < 0.005);
  return khat.toFixed(near ? 3 : 2);
}

/**
 * Early in a fit k-hat can be 10 or more: the chart stops at CHART_MAX (such points sit on its top edge;
 * the number above it is exact), so the thresholds stay readable.
 */
const CHART_MAX = 1.5;

/** k-hat's y range: the thresholds always in view, and negative values (light tails). */
function khatRange(values: readonly (number | null)[]): uPlot.Range.MinMax {
  let lo = 0;
  let hi = 1;
  for (const v of values) {
    if (v === null) continue;
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  const pad = 0.06 * (hi - lo);
  return [lo - pad, hi + pad];
}

export class KhatView {
  private readonly steps: number[] = [];
  private readonly khats: (number | null)[] = [];
  private latest: (KhatSample & { readonly final: boolean }) | undefined;
  private plot: uPlot | undefined;
  private readonly draw = (): void => this.render();

  constructor(
    private readonly el: KhatElements,
    private readonly frames: FrameScheduler,
  ) {
    this.plot = this.create();
    followSize(el.chart, () => this.plot);
    this.render();
  }

  private create(): uPlot {
    const threshold = (color: () => string, label: string): uPlot.Series => ({
      label,
      stroke: color,
      width: 1,
      dash: [4, 4],
      points: { show: false },
    });
    const options: uPlot.Options = {
      width: Math.max(200, this.el.chart.clientWidth),
      height: Math.max(100, this.el.chart.clientHeight),
      legend: { show: false },
      cursor: { drag: { x: false, y: false }, points: { show: false } },
      scales: { x: { time: false }, y: { range: () => khatRange(this.khats) } },
      axes: [axis('Optimizer step', { size: 34, labelSize: 22 }), axis('k̂', { size: 48 })],
      series: [
        { label: 'Step' },
        {
          label: 'k̂',
          stroke: () => palette().line,
          width: 1.5,
          spanGaps: false,
          points: { show: true, size: 5, fill: () => palette().line },
        },
        threshold(() => palette().warn, `k̂ = ${KHAT_GOOD}`),
        threshold(() => palette().danger, `k̂ = ${KHAT_USABLE}`),
      ],
    };
    return new uPlot(options, this.data(), this.el.chart);
  }

  private data(): uPlot.AlignedData {
    return [
      this.steps,
      this.khats,
      this.steps.map(() => KHAT_GOOD),
      this.steps.map(() => KHAT_USABLE),
    ] as uPlot.AlignedData;
  }

  clear(): void {
    this.steps.length = 0;
    this.khats.length = 0;
    this.latest = undefined;
    this.frames.schedule(this.draw);
  }

  /**
   * A diagnosis of q after `sample.steps` steps: live (from the worker, during the fit) or final (the
   * FitResult's). A live one arriving after the final one is ignored: both travel on different ports.
   */
  add(sample: KhatSample, final: boolean): void {
    if (this.latest?.final && !final) return;
    this.latest = { ...sample, final };
    // One point per step: the final diagnosis replaces a live one made at the same step.
    if (this.steps[this.steps.length - 1] === sample.steps) {
      this.steps.pop();
      this.khats.pop();
    }
    this.steps.push(sample.steps);
    this.khats.push(Number.isFinite(sample.khat) ? Math.min(sample.khat, CHART_MAX) : null);
    this.frames.schedule(this.draw);
  }

  /** After a theme change: colours are read at draw time. */
  redraw(): void {
    this.plot?.redraw(false, true);
  }

  private render(): void {
    this.plot?.setData(this.data());
    const { el } = this;
    const s = this.latest;
    el.empty.hidden = this.steps.length > 0;
    el.value.textContent = s ? formatKhat(s.khat) : '—';
    el.value.dataset.level = s ? s.level : 'none';
    el.value.dataset.source = s ? (s.final ? 'final' : 'live') : 'none';
    el.label.textContent = s ? LABELS[s.level] : '';
    el.reading.textContent = s
      ? `${s.reading} From ${formatInteger(s.draws)} draws of q at step ${formatInteger(s.steps)}` +
        `${s.final ? '' : ' (live)'}.`
      : 'k̂ checks q against the posterior: it appears a few seconds into a fit, and again at the end.';
    const d = el.chart.dataset;
    d.points = String(this.steps.length);
    d.lastKhat = s ? String(s.khat) : '';
  }
}
