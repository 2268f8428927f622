/**
 * The joint card: which pair of parameters it shows (two selects, the first two parameters by default), the
 * latest draws of q (live from the worker, then the final q's), and their 2-D histogram. Hidden for a model
 * with a single parameter. The binning waits for the next animation frame, like every redraw.
 */
import type { DrawSet } from '../vi/engine';
import { binPairs, Density2dChart, drawColumn } from './density-2d';
import { formatInteger } from './format';
import type { FrameScheduler } from './frame';

export interface PairElements {
  readonly card: HTMLElement;
  readonly x: HTMLSelectElement;
  readonly y: HTMLSelectElement;
  readonly chart: HTMLElement;
  readonly empty: HTMLElement;
  readonly note: HTMLElement;
}

export class PairView {
  private readonly chart: Density2dChart;
  private names: readonly string[] = [];
  private draws: DrawSet | undefined;
  private final = false;
  private readonly update = (): void => this.render();

  constructor(
    private readonly el: PairElements,
    private readonly frames: FrameScheduler,
  ) {
    this.chart = new Density2dChart(el.chart, el.empty, frames);
    el.x.addEventListener('change', () => this.frames.schedule(this.update));
    el.y.addEventListener('change', () => this.frames.schedule(this.update));
  }

  setParams(names: readonly string[]): void {
    this.names = names;
    const options = (): HTMLOptionElement[] => names.map((n, i) => new Option(n, String(i)));
    this.el.x.replaceChildren(...options());
    this.el.y.replaceChildren(...options());
    this.el.x.value = '0';
    this.el.y.value = '1';
    this.el.card.hidden = names.length < 2;
    this.clear();
  }

  clear(): void {
    this.draws = undefined;
    this.final = false;
    this.frames.schedule(this.update);
  }

  /** Draws of q's reported values: live ones while the fit runs, or (final) the final q's. */
  setDraws(draws: DrawSet, final: boolean): void {
    // Live draws can reach the page after the result (another port): they must not replace the final ones.
    if (this.final && !final) return;
    this.draws = draws;
    this.final = final;
    this.frames.schedule(this.update);
  }

  redraw(): void {
    this.chart.redraw();
  }

  private render(): void {
    const ix = Number(this.el.x.value);
    const iy = Number(this.el.y.value);
    const xName = this.names[ix];
    const yName = this.names[iy];
    const d = this.draws;
    // Draws of another model (a late message from a previous run) have other names at these columns.
    if (!d || xName === undefined || yName === undefined || d.names[ix] !== xName || d.names[iy] !== yName) {
      this.chart.show(undefined);
      this.el.note.textContent = '';
      return;
    }
    const grid = binPairs(
      drawColumn(d.values, d.count, d.stride, ix),
      drawColumn(d.values, d.count, d.stride, iy),
    );
    this.chart.show({ xName, yName, grid, source: this.final ? 'final' : 'live' });
    this.el.note.textContent =
      `Shade: q's joint density from ${formatInteger(grid.binned)} of ${formatInteger(d.count)} draws` +
      `${this.final ? ' of the final q' : ' (live)'}, ${grid.nx} × ${grid.ny} cells on the constrained scale; ` +
      'the outer 0.5 % of each axis is left out.';
  }
}
