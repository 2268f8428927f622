/** The status line (what the page is doing, or what went wrong) and the throughput readout. */
import { formatInteger, formatMs, formatSi } from './format';

export type RunState =
  | 'loading'
  | 'ready'
  | 'starting'
  | 'running'
  | 'pausing'
  | 'paused'
  | 'converged'
  | 'stopped'
  | 'diverged'
  | 'error'
  | 'unavailable';

export class StatusLine {
  constructor(
    private readonly line: HTMLElement,
    private readonly restart: HTMLButtonElement,
  ) {}

  /** `restart`: offer the Restart button (a fresh worker and device), for failures that a restart can fix. */
  set(state: RunState, text: string, options: { restart?: boolean } = {}): void {
    this.line.dataset.state = state;
    // The line is an aria-live region: rewriting the same text would make screen readers repeat it.
    if (this.line.textContent !== text) this.line.textContent = text;
    this.restart.hidden = !options.restart;
  }
}

export interface Throughput {
  readonly steps: number;
  readonly elbo: number;
  readonly samplesPerSecond: number;
  readonly msPerStep: number;
}

export class Readout {
  constructor(
    private readonly cells: {
      readonly step: HTMLElement;
      readonly elbo: HTMLElement;
      readonly samples: HTMLElement;
      readonly msPerStep: HTMLElement;
      readonly stepsPerSecond: HTMLElement;
    },
  ) {}

  update(t: Throughput): void {
    this.cells.step.textContent = formatInteger(t.steps);
    this.cells.elbo.textContent = Number.isFinite(t.elbo) ? t.elbo.toFixed(3) : '—';
    this.cells.samples.textContent = formatSi(t.samplesPerSecond);
    this.cells.msPerStep.textContent = formatMs(t.msPerStep);
    this.cells.stepsPerSecond.textContent = t.msPerStep > 0 ? formatSi(1000 / t.msPerStep) : '—';
  }

  clear(): void {
    this.cells.step.textContent = '0';
    for (const cell of [
      this.cells.elbo,
      this.cells.samples,
      this.cells.msPerStep,
      this.cells.stepsPerSecond,
    ]) {
      cell.textContent = '—';
    }
  }
}
