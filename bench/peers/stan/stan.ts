/**
 * Stan's own inference as a peer: runs bench/peers/stan/run_stan.R (rstan 2.21) in its own Rscript process on
 * one accuracy workload and scores its posterior means and sds against the workload's reference.
 *
 *   const result = await runStanPeer(workload, 'fullrank', 1);   // vb() at Stan's defaults
 *
 * R and rstan are optional for this project: when Rscript or rstan is missing, runStanPeer rejects with a
 * StanPeerUnavailableError that says what to install, so a benchmark can report the peer as missing.
 * Compiled models are cached under bench/peers/stan/.cache (ignored by git); compile time is reported apart
 * from fit time, and as 0 when the model came from the cache (cachedCompileSeconds keeps the original figure).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StanData } from '../../../src/models/data';
import type { AccuracyModelName, AccuracyWorkload } from '../../accuracy/workloads';

export type StanAlgorithm = 'meanfield' | 'fullrank' | 'nuts';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const DRIVER = join(HERE, 'run_stan.R');
export const STAN_CACHE_DIR = join(HERE, '.cache');

/** The peer's Stan program for each built-in model (pre-2.26 syntax; the same posterior, checked by log_prob). */
export const STAN_MODEL_FILES: Readonly<Record<AccuracyModelName, string>> = {
  'normal-mean': join(HERE, 'models', 'normal_mean.stan'),
  linreg: join(HERE, 'models', 'linreg.stan'),
  logistic: join(HERE, 'models', 'logistic.stan'),
  'eight-schools': join(HERE, 'models', 'eight_schools_noncentered.stan'),
  hmm: join(HERE, 'models', 'hmm.stan'),
};

/**
 * log p(z) of our model minus Stan's log_prob at the same unconstrained z (both with log-Jacobians): Stan's
 * cauchy_lpdf on tau > 0 lacks the half-Cauchy's factor 2, which our eight-schools keeps; the other peer models
 * use target += *_lpdf throughout, which keeps every normalising constant, as ours do.
 */
export const LOG_PROB_OFFSET: Readonly<Record<AccuracyModelName, number>> = {
  'normal-mean': 0,
  linreg: 0,
  logistic: 0,
  'eight-schools': Math.LN2,
  hmm: 0,
};

/** One job for run_stan.R (see its header). */
export interface StanJob {
  readonly model: string;
  readonly data: StanData;
  readonly algorithm: StanAlgorithm | 'log_prob';
  readonly seed: number;
  readonly params: readonly string[];
  /** Passed to vb() / sampling() as they are; empty: Stan's defaults. */
  readonly options?: Readonly<Record<string, number | string | boolean>>;
  /** log_prob only: unconstrained points. */
  readonly points?: readonly (readonly number[])[];
}

/** What run_stan.R wrote, checked field by field. */
export interface StanRunOutput {
  readonly compileSeconds: number;
  /** The compile time measured when the cached model was built (equal to compileSeconds when not cached). */
  readonly cachedCompileSeconds: number;
  readonly fitSeconds: number;
  readonly names: readonly string[];
  readonly mean: readonly number[];
  readonly sd: readonly number[];
  readonly draws: number;
  /** vb(): the last iteration of Stan's ELBO table; its verdict; the step size its adaptation chose; PSIS k. */
  readonly iterations: number | null;
  readonly converged: boolean | null;
  readonly message: string;
  readonly eta: number | null;
  readonly paretoK: number | null;
  /** NUTS: Monte Carlo standard errors of the means and of the sds, effective sample sizes, R-hat. */
  readonly seMean: readonly number[] | null;
  readonly seSd: readonly number[] | null;
  readonly nEff: readonly number[] | null;
  readonly rhat: readonly number[] | null;
  /** log_prob: Stan's log density and its gradient at each point. */
  readonly logProb: readonly number[] | null;
  readonly gradLogProb: readonly (readonly number[])[] | null;
  readonly warnings: readonly string[];
  readonly log: readonly string[];
  readonly rstanVersion: string;
  readonly stanVersion: string;
}

export interface StanPeerResult extends StanRunOutput {
  readonly workload: string;
  readonly algorithm: StanAlgorithm;
  readonly seed: number;
  /** max over parameters of |mean - reference mean| / reference sd. */
  readonly meanError: number;
  /** max over parameters of |sd / reference sd - 1|. */
  readonly sdError: number;
  /**
   * meanfield on a workload whose mean-field optimum is known (an exact Gaussian): max |sd / optimum sd - 1|,
   * how far the optimizer stopped from what the family can reach. Otherwise null.
   */
  readonly meanfieldSdError: number | null;
  /** The whole Rscript process: R and rstan starting, the model compiled or loaded, the fit, the summaries. */
  readonly wallSeconds: number;
}

export interface StanPeerOptions {
  /** Overrides of Stan's defaults, passed to vb() / sampling() (e.g. { iter: 7000, warmup: 2000 }). */
  readonly stanOptions?: Readonly<Record<string, number | string | boolean>>;
  /** Kill Rscript after this long (default 15 minutes: a first compile takes about 40 s of one core). */
  readonly timeoutMs?: number;
}

export type StanPeerErrorKind = 'missing' | 'bad-job' | 'compile' | 'fit' | 'timeout' | 'crashed';

export class StanPeerError extends Error {
  override name = 'StanPeerError';
  constructor(
    readonly kind: StanPeerErrorKind,
    message: string,
  ) {
    super(message);
  }
}

/** R, rstan, jsonlite or Boost's headers are not installed: the peer is missing, not broken. */
export class StanPeerUnavailableError extends StanPeerError {
  override name = 'StanPeerUnavailableError';
  constructor(message: string) {
    super(
      'missing',
      `${message}; see bench/peers/stan/README.md (apt-get install -y r-cran-rstan r-cran-jsonlite)`,
    );
  }
}

const DEFAULT_TIMEOUT_MS = 15 * 60_000;

/** Stan on one workload, scored against the workload's reference posterior. */
export async function runStanPeer(
  workload: AccuracyWorkload,
  algorithm: StanAlgorithm,
  seed: number,
  options: StanPeerOptions = {},
): Promise<StanPeerResult> {
  const started = performance.now();
  const output = await runStanJob(
    {
      model: STAN_MODEL_FILES[workload.model],
      data: workload.data,
      algorithm,
      seed,
      params: workload.reference.names,
      ...(options.stanOptions ? { options: options.stanOptions } : {}),
    },
    options.timeoutMs,
  );
  const wallSeconds = (performance.now() - started) / 1000;
  const { meanError, sdError } = accuracyAgainst(output, workload.reference);
  const optimum = workload.reference.meanfieldOptimum;
  const meanfieldSdError =
    algorithm === 'meanfield' && optimum
      ? accuracyAgainst(output, { names: workload.reference.names, ...optimum }).sdError
      : null;
  return {
    ...output,
    workload: workload.name,
    algorithm,
    seed,
    meanError,
    sdError,
    meanfieldSdError,
    wallSeconds,
  };
}

/** The two accuracy figures of a posterior summary against a reference with the same names. */
export function accuracyAgainst(
  fit: {
    readonly names: readonly string[];
    readonly mean: readonly number[];
    readonly sd: readonly number[];
  },
  reference: {
    readonly names: readonly string[];
    readonly mean: readonly number[];
    readonly sd: readonly number[];
  },
): { meanError: number; sdError: number } {
  let meanError = 0;
  let sdError = 0;
  reference.names.forEach((name, j) => {
    const i = fit.names.indexOf(name);
    if (i < 0) throw new Error(`the fit reports no "${name}"`);
    const refSd = reference.sd[j] as number;
    meanError = Math.max(
      meanError,
      Math.abs((fit.mean[i] as number) - (reference.mean[j] as number)) / refSd,
    );
    sdError = Math.max(sdError, Math.abs((fit.sd[i] as number) / refSd - 1));
  });
  return { meanError, sdError };
}

/** Runs one job in a fresh Rscript process (job and result travel as files: Stan prints to stdout). */
export async function runStanJob(job: StanJob, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<StanRunOutput> {
  const dir = await mkdtemp(join(tmpdir(), 'stan-peer-'));
  try {
    const jobPath = join(dir, 'job.json');
    const resultPath = join(dir, 'result.json');
    const { model, data, algorithm, seed, params, options, points } = job;
    await writeFile(
      jobPath,
      JSON.stringify({ model, cache_dir: STAN_CACHE_DIR, data, algorithm, seed, params, options, points }),
    );
    await spawnRscript([DRIVER, jobPath, resultPath], timeoutMs);
    let text: string;
    try {
      text = await readFile(resultPath, 'utf8');
    } catch {
      throw new StanPeerError('crashed', 'run_stan.R exited without writing its result');
    }
    return parseRunOutput(JSON.parse(text) as unknown);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function spawnRscript(args: readonly string[], timeoutMs: number): Promise<void> {
  const rscript = process.env.RSCRIPT ?? 'Rscript';
  return new Promise((resolve, reject) => {
    const child = spawn(rscript, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stdout.on('data', () => undefined);
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(
        error.code === 'ENOENT'
          ? new StanPeerUnavailableError(`${rscript} was not found on PATH (R is not installed)`)
          : new StanPeerError('crashed', `could not start ${rscript}: ${error.message}`),
      );
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (timedOut) reject(new StanPeerError('timeout', `Rscript stopped after ${timeoutMs / 1000} s`));
      else if (code === 0) resolve();
      else if (code === 4) reject(new StanPeerUnavailableError('the R package jsonlite is not installed'));
      else {
        const why = signal ? `killed by ${signal}` : `exit code ${code}`;
        reject(
          new StanPeerError('crashed', `Rscript ${why}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`),
        );
      }
    });
  });
}

type Json = Readonly<Record<string, unknown>>;

function parseRunOutput(value: unknown): StanRunOutput {
  if (typeof value !== 'object' || value === null)
    throw new StanPeerError('crashed', 'run_stan.R wrote no object');
  const r = value as Json;
  if (r.ok !== true) {
    const kind = typeof r.kind === 'string' ? r.kind : 'crashed';
    const error = typeof r.error === 'string' ? r.error : 'no message';
    if (kind === 'missing-rstan' || kind === 'missing-boost') throw new StanPeerUnavailableError(error);
    const known: readonly StanPeerErrorKind[] = ['bad-job', 'compile', 'fit'];
    throw new StanPeerError(known.find((k) => k === kind) ?? 'crashed', `Stan (${kind}): ${error}`);
  }
  const compileSeconds = numberField(r, 'compile_seconds');
  return {
    compileSeconds,
    cachedCompileSeconds: optionalNumber(r, 'cached_compile_seconds') ?? compileSeconds,
    fitSeconds: numberField(r, 'fit_seconds'),
    names: stringArray(r, 'names') ?? [],
    mean: numberArray(r, 'mean') ?? [],
    sd: numberArray(r, 'sd') ?? [],
    draws: optionalNumber(r, 'draws') ?? 0,
    iterations: optionalNumber(r, 'iterations'),
    converged: typeof r.converged === 'boolean' ? r.converged : null,
    message: typeof r.message === 'string' ? r.message : '',
    eta: optionalNumber(r, 'eta'),
    paretoK: optionalNumber(r, 'pareto_k'),
    seMean: numberArray(r, 'se_mean'),
    seSd: numberArray(r, 'se_sd'),
    nEff: numberArray(r, 'n_eff'),
    rhat: numberArray(r, 'rhat'),
    logProb: numberArray(r, 'log_prob'),
    gradLogProb: numberMatrix(r, 'grad_log_prob'),
    warnings: stringArray(r, 'warnings') ?? [],
    log: stringArray(r, 'log') ?? [],
    rstanVersion: typeof r.rstan_version === 'string' ? r.rstan_version : '',
    stanVersion: typeof r.stan_version === 'string' ? r.stan_version : '',
  };
}

function numberField(r: Json, key: string): number {
  const v = optionalNumber(r, key);
  if (v === null) throw new StanPeerError('crashed', `run_stan.R's result has no number "${key}"`);
  return v;
}

function optionalNumber(r: Json, key: string): number | null {
  const v = r[key];
  return typeof v === 'number' ? v : null;
}

/** jsonlite writes a length-1 vector as a scalar (auto_unbox) and NA as null. */
function numberArray(r: Json, key: string): number[] | null {
  const v = r[key];
  if (v === undefined || v === null) return null;
  const list = Array.isArray(v) ? (v as unknown[]) : [v];
  return list.map((x) => (typeof x === 'number' ? x : NaN));
}

function stringArray(r: Json, key: string): string[] | null {
  const v = r[key];
  if (v === undefined || v === null) return null;
  const list = Array.isArray(v) ? (v as unknown[]) : [v];
  return list.map(String);
}

function numberMatrix(r: Json, key: string): number[][] | null {
  const v = r[key];
  if (!Array.isArray(v)) return null;
  return (v as unknown[]).map((row) =>
    (Array.isArray(row) ? (row as unknown[]) : [row]).map((x) => (typeof x === 'number' ? x : NaN)),
  );
}
