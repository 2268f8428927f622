/**
 * Everything that shows a run: the throughput readout, the ELBO chart, the selected parameter's histogram
 * (with the exact or reference posterior), the joint of a chosen pair and the parameter table. It holds the latest progress and summary
 * and redraws in the next animation frame, never more than once per frame.
 */
import type { PreparedModel } from '../models/types';
import type { DrawSet } from '../vi/engine';
import type { PackedSummary, ProgressUpdate } from '../../workers/protocol';
import { ElboChart } from './elbo-chart';
import { formatInteger, formatStat } from './format';
import type { FrameScheduler } from './frame';
import { HistogramChart, type Comparison } from './histogram-chart';
import { PairView, type PairElements } from './pair-view';
import { ParamTable, type ComparisonColumns } from './param-table';
import { Readout } from './status';

export interface ResultsElements {
  readonly readout: ConstructorParameters<typeof Readout>[0];
  /** The readout's label and the chart legend's for the bound ("ELBO", "IW bound (K = 8)"). */
  readonly bound: HTMLElement;
  readonly boundLegend: HTMLElement;
  readonly elboChart: HTMLElement;
  readonly elboEmpty: HTMLElement;
  readonly histogram: HTMLElement;
  readonly histogramEmpty: HTMLElement;
  readonly histogramNote: HTMLElement;
  readonly paramSelect: HTMLSelectElement;
  readonly table: HTMLTableElement;
  readonly pair: PairElements;
}

function comparisonColumns(prepared: PreparedModel | undefined): ComparisonColumns | undefined {
  if (prepared?.exact) return { kind: 'exact', ...prepared.exact };
  if (prepared?.reference) return { kind: 'reference', ...prepared.reference };
  return undefined;
}

export class ResultsView {
  private readonly readout: Readout;
  private readonly elbo: ElboChart;
  private readonly histogram: HistogramChart;
  private readonly table: ParamTable;
  private readonly pair: PairView;
  private names: readonly string[] = [];
  private comparison: ComparisonColumns | undefined;
  private selected = 0;
  private latest: ProgressUpdate | undefined;
  private summary: PackedSummary | undefined;
  private final = false;
  private readonly drawReadout = (): void => {
    if (this.latest) this.readout.update(this.latest);
    else this.readout.clear();
  };
  private readonly drawSummary = (): void => {
    if (this.summary) this.table.update(this.summary);
    else this.table.clearValues();
    // A stable hook for tests (and styling): which summary the table shows once it is drawn.
    this.el.table.dataset.summary = this.summary ? (this.final ? 'final' : 'live') : 'none';
    this.showHistogram();
  };

  constructor(
    private readonly el: ResultsElements,
    private readonly frames: FrameScheduler,
  ) {
    this.readout = new Readout(el.readout);
    this.elbo = new ElboChart(el.elboChart, el.elboEmpty, frames);
    this.histogram = new HistogramChart(el.histogram, el.histogramEmpty, frames);
    this.table = new ParamTable(el.table, (i) => this.select(i));
    this.pair = new PairView(el.pair, frames);
    el.paramSelect.addEventListener('change', () => this.select(Number(el.paramSelect.value)));
  }

  /** Steps taken in the run shown (0 before any). */
  get steps(): number {
    return this.latest?.steps ?? 0;
  }

  /** A new model or data set: its parameters, and the posterior to compare with where one is known. */
  setModel(prepared: PreparedModel | undefined): void {
    this.names = prepared?.paramNames ?? [];
    this.comparison = comparisonColumns(prepared);
    this.selected = 0;
    this.table.setParams(this.names, this.comparison);
    this.el.paramSelect.replaceChildren(...this.names.map((n, i) => new Option(n, String(i))));
    this.el.paramSelect.disabled = this.names.length === 0;
    this.pair.setParams(this.names);
    this.clear();
  }

  clear(): void {
    this.latest = undefined;
    this.summary = undefined;
    this.final = false;
    this.elbo.clear();
    this.pair.clear();
    this.frames.schedule(this.drawReadout);
    this.frames.schedule(this.drawSummary);
  }

  progress(update: ProgressUpdate): void {
    this.latest = update;
    this.elbo.append(update.trace);
    this.frames.schedule(this.drawReadout);
  }

  /** The step count where the fit actually stopped (after pausing, or at the end). */
  setSteps(steps: number): void {
    if (this.latest) this.latest = { ...this.latest, steps };
    this.frames.schedule(this.drawReadout);
  }

  /** A live summary from the worker, or (final) the FitResult's own, from more draws. */
  setSummary(summary: PackedSummary, final: boolean): void {
    // A live summary can reach the page after the result (it travels on the listener's port, the result
    // on run()'s reply); it must not replace the final one.
    if (this.final && !final) return;
    this.summary = summary;
    this.final = final;
    this.frames.schedule(this.drawSummary);
  }

  /** Draws of q for the joint: live ones from the worker, or (final) the final q's. */
  setDraws(draws: DrawSet, final: boolean): void {
    this.pair.setDraws(draws, final);
  }

  /** Which bound the readout and the chart show: the objective's ("ELBO", "IW bound (K = 8)"). */
  setBound(bound: string): void {
    this.el.bound.textContent = bound;
    this.el.bound.title = bound;
    this.el.boundLegend.textContent = bound;
    this.elbo.setBound(bound);
  }

  /** After a theme change: the charts read their colours when they draw. */
  redraw(): void {
    this.elbo.redraw();
    this.histogram.redraw();
    this.pair.redraw();
  }

  private select(index: number): void {
    this.selected = index;
    this.el.paramSelect.value = String(index);
    this.table.select(index, false);
    this.showHistogram();
  }

  private comparisonFor(index: number): Comparison | undefined {
    const c = this.comparison;
    const mean = c?.mean[index];
    const sd = c?.sd[index];
    return c && mean !== undefined && sd !== undefined ? { kind: c.kind, mean, sd } : undefined;
  }

  private showHistogram(): void {
    const i = this.selected;
    const name = this.names[i] ?? '';
    const s = this.summary;
    const view =
      s && s.names[i] === name && s.bins > 0
        ? {
            name,
            min: s.histMin[i] as number,
            binWidth: s.histWidth[i] as number,
            counts: s.counts.subarray(i * s.bins, (i + 1) * s.bins),
          }
        : undefined;
    const comparison = this.comparisonFor(i);
    this.histogram.show(name, view, comparison);
    const parts: string[] = [];
    if (s)
      parts.push(`Bars: q's marginal from ${formatInteger(s.draws)} draws${this.final ? '' : ' (live)'}.`);
    if (comparison?.kind === 'exact') {
      parts.push(
        `Line: the exact posterior, normal(${formatStat(comparison.mean)}, ${formatStat(comparison.sd)}).`,
      );
    } else if (comparison) {
      const { mean, sd } = comparison;
      parts.push(`Shaded: the reference posterior's mean ± sd (${formatStat(mean)} ± ${formatStat(sd)}).`);
    }
    this.el.histogramNote.textContent = parts.join(' ');
  }
}
