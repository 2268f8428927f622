/**
 * The contract between the page and the engine's Web Worker (both sides import these types).
 * Bulk data (trace slices, histograms) is packed into typed arrays so Comlink can transfer it, not copy it.
 */
import type { StanData } from '../src/models/data';
import type { KhatLevel } from '../src/vi/diagnostics/khat-reading';
import type { DensityDrawSet, DrawSet, FitPhase, FitResult } from '../src/vi/engine';
import type { FitSettings } from '../src/vi/settings';
import type { ParamSummary } from '../src/vi/summary';

export interface AdapterInfo {
  readonly name: string;
  readonly isCpu: boolean;
  readonly features: readonly string[];
}

/** A Stan program to compile in the worker and fit instead of a built-in model. */
export interface StanSource {
  readonly source: string;
  /** For messages and the result's model name, e.g. "model.stan". */
  readonly fileName: string;
}

/** A Stan model's name: its file's stem ("model.stan" -> "model"), as the CLI names it. */
export function stanModelName(fileName: string): string {
  return fileName.replace(/^.*[\\/]/, '').replace(/\.stan$/i, '') || 'stan';
}

export interface RunRequest {
  /** A built-in model's name; ignored when `stan` is given. */
  readonly model: string;
  readonly stan?: StanSource;
  /** Stan-JSON data from a file; absent for the model's built-in data. */
  readonly data?: StanData;
  readonly settings: Partial<FitSettings>;
}

export interface RunStarted {
  readonly paramNames: readonly string[];
  readonly dimension: number;
  /** Time spent validating, compiling the kernels and allocating buffers. */
  readonly setupMs: number;
}

export interface ProgressUpdate {
  /** Steps taken so far. */
  readonly steps: number;
  readonly elbo: number;
  readonly samplesPerSecond: number;
  readonly msPerStep: number;
  readonly skipped: number;
  /** New finite steps since the previous update, as (step, elbo, mcse) triples. */
  readonly trace: Float64Array;
}

/** ParamSummary with every number in a typed array: counts is row-major, one row of `bins` per parameter. */
export interface PackedSummary {
  readonly names: readonly string[];
  readonly draws: number;
  readonly mean: Float64Array;
  readonly sd: Float64Array;
  readonly q05: Float64Array;
  readonly q50: Float64Array;
  readonly q95: Float64Array;
  readonly histMin: Float64Array;
  readonly histWidth: Float64Array;
  readonly bins: number;
  readonly counts: Float64Array;
}

/** A PSIS diagnosis of q during the fit (the page's live k-hat), or the FitResult's final one. */
export interface KhatSample {
  /** Steps taken when q was diagnosed. */
  readonly steps: number;
  readonly khat: number;
  readonly level: KhatLevel;
  /** readKhat's sentence. */
  readonly reading: string;
  /** Draws of q it used. */
  readonly draws: number;
}

/** The page's callbacks, passed to the worker with Comlink.proxy. */
export interface FitListener {
  onStarted(info: RunStarted): void;
  onProgress(update: ProgressUpdate): void;
  onSummary(summary: PackedSummary): void;
  /**
   * The draws that summary came from (or their first rows, for a model with many parameters), for the
   * page's joint of two parameters; sent right after it.
   */
  onDraws(draws: DrawSet): void;
  /** A live k-hat: every few seconds while the fit runs, from fewer draws than the final one. */
  onDiagnostics(sample: KhatSample): void;
  /** After Pause: the steps that were already on the GPU have finished, and no more will start. */
  onPaused(steps: number): void;
  /**
   * The optimizer has stopped and a pass over many draws of q begins (the summary, then the PSIS diagnostic,
   * which on a CPU adapter can take a minute for a large model): the page says so instead of "Running".
   */
  onPhase(phase: FitPhase): void;
}

/** What run() resolves with: the fit's result and draws from the final q (for the CSV export), together. */
export interface RunOutcome {
  readonly result: FitResult;
  /** Draws from the final q with their log p and Stan's log g (the Stan CSV); transferred, not copied. */
  readonly draws: DensityDrawSet;
}

export function drawTransferables(draws: DensityDrawSet): ArrayBuffer[] {
  return [draws.values, draws.logP, draws.logG, draws.logQ, draws.logRatio, draws.meanRow].map(
    (a) => a.buffer as ArrayBuffer,
  );
}

export function packSummary(summary: ParamSummary, draws: number): PackedSummary {
  const bins = summary.histograms[0]?.counts.length ?? 0;
  const counts = new Float64Array(summary.names.length * bins);
  summary.histograms.forEach((h, j) => counts.set(h.counts, j * bins));
  return {
    names: [...summary.names],
    draws,
    mean: Float64Array.from(summary.mean),
    sd: Float64Array.from(summary.sd),
    q05: Float64Array.from(summary.q05),
    q50: Float64Array.from(summary.q50),
    q95: Float64Array.from(summary.q95),
    histMin: Float64Array.from(summary.histograms, (h) => h.min),
    histWidth: Float64Array.from(summary.histograms, (h) => h.binWidth),
    bins,
    counts,
  };
}

export function summaryTransferables(summary: PackedSummary): ArrayBuffer[] {
  return [summary.mean, summary.sd, summary.q05, summary.q50, summary.q95, summary.histMin, summary.histWidth]
    .concat([summary.counts])
    .map((a) => a.buffer as ArrayBuffer);
}

export type { FitResult };
