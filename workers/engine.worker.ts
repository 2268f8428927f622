/**
 * The engine's Web Worker: owns the GPU device and runs fits, so the page's main thread never waits on the GPU.
 * Exposed with Comlink as a plain object. Progress is throttled here (the engine reports every submit, far
 * more often than a page can draw), and live summaries never overlap: at most one engine.summarize at a time.
 */
import * as Comlink from 'comlink';
import { acquireDevice, type GpuContext } from '../src/gpu/device';
import { getModel } from '../src/models/registry';
import type { ModelDefinition } from '../src/models/types';
import { formatDiagnostic } from '../src/stan/ast';
import { compileStan } from '../src/stan/compile';
import { ViEngine, type DrawSet, type Progress } from '../src/vi/engine';
import { summarizeDraws } from '../src/vi/summary';
import {
  drawTransferables,
  packSummary,
  summaryTransferables,
  type AdapterInfo,
  type FitListener,
  type ProgressUpdate,
  type RunOutcome,
  type RunRequest,
  stanModelName,
  type StanSource,
} from './protocol';

/** Compiles a Stan program here, like the engine's kernels; errors reject with the compiler's file:line:col lines. */
function compileRequest(stan: StanSource): ModelDefinition {
  const compiled = compileStan(stan.source, { name: stanModelName(stan.fileName), fileName: stan.fileName });
  if ('diagnostics' in compiled) {
    const errors = compiled.diagnostics.filter((d) => d.severity === 'error');
    const lines = errors.map((d) => formatDiagnostic(stan.fileName, stan.source, d).split('\n')[0]);
    throw new Error(`${stan.fileName} does not compile: ${lines.join('; ')}`);
  }
  return compiled.model;
}

/** Draws from the final q offered as CSV: plenty for a plot or PSIS, small enough to write as text. */
const EXPORT_DRAWS = 10_000;

/**
 * The live k-hat: draws per diagnosis (fewer on a CPU adapter, where 10^5 draws of a model with data take
 * seconds), and at least this long between the end of one and the start of the next, or three times the
 * last one's duration, so that it takes at most a quarter of the GPU from the fit.
 */
const LIVE_DIAGNOSTIC_DRAWS = 100_000;
const LIVE_DIAGNOSTIC_DRAWS_CPU = 2 ** 14;
const DIAGNOSE_EVERY_MS = 3000;
const FIRST_DIAGNOSIS_MS = 1500;

/** Draws per live summary: enough for smooth 48-bin histograms, cheap enough to run twice a second. */
const LIVE_DRAWS = 20_000;
const SUMMARY_EVERY_MS = 600;
/**
 * The most f32 values of live draws sent to the page per summary (2 MB), for its joint of two parameters:
 * every draw for up to ~26 parameters, fewer rows beyond.
 */
const LIVE_DRAW_VALUES = 2 ** 19;

/** The first rows of a draw set that fit in `budget` values (the set itself when it all fits). */
function firstRows(set: DrawSet, budget: number): DrawSet {
  const count = Math.min(set.count, Math.max(1, Math.floor(budget / set.stride)));
  if (count === set.count) return set;
  return { ...set, count, values: set.values.slice(0, count * set.stride) };
}
const PROGRESS_EVERY_MS = 50;

type LostCallback = (message: string) => void;

interface Deferred {
  readonly promise: Promise<void>;
  readonly resolve: () => void;
}

function deferred(): Deferred {
  let resolve: () => void = () => undefined;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

let devicePromise: Promise<GpuContext> | undefined;
let deviceLost = false;
let fitFailed = false;
let onLost: Comlink.Remote<LostCallback> | undefined;
let active: { controller: AbortController; done: Promise<unknown> } | undefined;
let pauseGate: Deferred | undefined;
/** The engine of the fit in progress (for the tests' engineSteps). */
let runningEngine: ViEngine | undefined;

/** Remote calls return promises; a page that has gone away must not become an unhandled rejection here. */
function ignoreRejection(call: Promise<unknown> | undefined): void {
  void call?.catch(() => undefined);
}

function device(): Promise<GpuContext> {
  devicePromise ??= acquireDevice({ label: 'webgpu-vi page' }).then(
    (ctx) => {
      void ctx.lost.then((error) => {
        devicePromise = undefined;
        deviceLost = true;
        ignoreRejection(onLost?.(error.message));
      });
      return ctx;
    },
    (error: unknown) => {
      // Let a retry ask again (the user may have enabled WebGPU or freed the GPU).
      devicePromise = undefined;
      throw error;
    },
  );
  return devicePromise;
}

async function fitOnce(
  request: RunRequest,
  listener: Comlink.Remote<FitListener>,
  signal: AbortSignal,
): Promise<RunOutcome> {
  const t0 = performance.now();
  const model = request.stan ? compileRequest(request.stan) : getModel(request.model);
  const data = request.data ?? model.defaultData();
  const ctx = await device();
  const engine = await ViEngine.create(ctx, model, data, request.settings);
  runningEngine = engine;
  ignoreRejection(
    listener.onStarted({
      paramNames: [...engine.prepared.paramNames],
      dimension: engine.prepared.dimension,
      setupMs: performance.now() - t0,
    }),
  );

  const pending: number[] = [];
  let latest: Progress | undefined;
  let lastPost = 0;
  let lastSummary = performance.now();
  let summarizing: Promise<void> | undefined;
  let summaryWanted = false;
  let diagnosing: Promise<void> | undefined;
  let nextDiagnosis = performance.now() + FIRST_DIAGNOSIS_MS;
  const liveDraws = ctx.adapter.isCpu ? LIVE_DIAGNOSTIC_DRAWS_CPU : LIVE_DIAGNOSTIC_DRAWS;

  const flush = (): void => {
    if (!latest) return;
    const trace = Float64Array.from(pending);
    pending.length = 0;
    const update: ProgressUpdate = {
      steps: latest.step + 1,
      elbo: latest.elbo,
      samplesPerSecond: latest.samplesPerSecond,
      msPerStep: latest.msPerStep,
      skipped: latest.skipped,
      trace,
    };
    ignoreRejection(listener.onProgress(Comlink.transfer(update, [trace.buffer])));
    lastPost = performance.now();
  };

  // The gate the engine is waiting on: a notice that its pause took effect counts only if the user has not
  // resumed (or resumed and paused again) meanwhile.
  let awaitedGate: Deferred | undefined;

  const requestSummary = (): void => {
    summaryWanted = true;
    if (summarizing) return;
    summarizing = (async () => {
      while (summaryWanted) {
        summaryWanted = false;
        // engine.summarize's own steps, keeping the draws for the page's joint plot.
        const set = await engine.draws(LIVE_DRAWS);
        const summary = summarizeDraws(set.values, set.count, set.stride, set.names);
        const packed = packSummary(summary, LIVE_DRAWS);
        ignoreRejection(listener.onSummary(Comlink.transfer(packed, summaryTransferables(packed))));
        const sample = firstRows(set, LIVE_DRAW_VALUES);
        ignoreRejection(listener.onDraws(Comlink.transfer(sample, [sample.values.buffer as ArrayBuffer])));
      }
    })()
      // A live summary that fails (the device was lost) only skips a redraw: the fit reports the error.
      .catch(() => undefined)
      .finally(() => {
        summarizing = undefined;
        lastSummary = performance.now();
      });
  };

  // k-hat only (no corrected moments): the page shows the number, its reading and its trend.
  const requestDiagnosis = (steps: number): void => {
    if (diagnosing) return;
    const started = performance.now();
    diagnosing = engine
      .diagnose(liveDraws, { moments: false })
      .then((d) => {
        const sample = { steps, khat: d.khat, level: d.level, reading: d.reading, draws: d.draws };
        ignoreRejection(listener.onDiagnostics(sample));
      })
      // Like a live summary, a failed live diagnosis only skips a point: the fit reports any real error.
      .catch(() => undefined)
      .finally(() => {
        diagnosing = undefined;
        const now = performance.now();
        nextDiagnosis = now + Math.max(DIAGNOSE_EVERY_MS, 3 * (now - started));
      });
  };

  try {
    const result = await engine.fit({
      signal,
      waitWhilePaused: () => {
        awaitedGate = pauseGate;
        return awaitedGate?.promise;
      },
      onPaused: (stepsTaken) => {
        if (awaitedGate !== pauseGate) return;
        flush();
        requestSummary();
        requestDiagnosis(stepsTaken);
        ignoreRejection(listener.onPaused(stepsTaken));
      },
      onProgress: (progress, batch) => {
        for (const m of batch) {
          if (m.applied && Number.isFinite(m.elbo)) pending.push(m.step, m.elbo, m.mcse);
        }
        latest = progress;
        const now = performance.now();
        if (now - lastPost >= PROGRESS_EVERY_MS) flush();
        if (now - lastSummary >= SUMMARY_EVERY_MS) requestSummary();
        // Not during --lr auto's trials: their q is not the fit's.
        if (now >= nextDiagnosis && progress.phase === 'fitting') requestDiagnosis(progress.step + 1);
      },
      onPhase: (phase) => {
        flush();
        ignoreRejection(listener.onPhase(phase));
      },
    });
    flush();
    const draws = await engine.drawsWithDensities(EXPORT_DRAWS);
    // One reply carries the result and its draws: two messages on two ports could arrive in either order.
    return Comlink.transfer({ result, draws }, drawTransferables(draws));
  } catch (error) {
    fitFailed = true;
    throw error;
  } finally {
    await summarizing;
    await diagnosing;
    if (runningEngine === engine) runningEngine = undefined;
    engine.destroy();
  }
}

// When a fit fails (typically: the device was lost), the engine stops awaiting the submit still in flight,
// and destroying its buffers rejects that submit's mapAsync with no one left to listen. The failure itself
// reaches the page through run(); these echoes of it would only be noise in the console.
self.addEventListener('unhandledrejection', (event) => {
  if (deviceLost || fitFailed) event.preventDefault();
});

const api = {
  /** Acquires the device; `lost` is called if it is ever lost. Rejects with the GPU layer's typed errors. */
  async init(lost: LostCallback): Promise<AdapterInfo> {
    onLost = lost as unknown as Comlink.Remote<LostCallback>;
    const ctx = await device();
    return {
      name: ctx.adapter.name,
      isCpu: ctx.adapter.isCpu,
      features: Object.entries(ctx.features)
        .filter(([, on]) => on)
        .map(([name]) => name),
    };
  },

  /** Fits and resolves with the FitResult and draws from the final q; a fit still running is stopped first. */
  async run(request: RunRequest, listener: FitListener): Promise<RunOutcome> {
    const remote = listener as unknown as Comlink.Remote<FitListener>;
    if (active) {
      active.controller.abort();
      pauseGate?.resolve();
      await active.done.catch(() => undefined);
    }
    pauseGate = undefined;
    fitFailed = false;
    const controller = new AbortController();
    const done = fitOnce(request, remote, controller.signal);
    active = { controller, done };
    try {
      return await done;
    } finally {
      if (active?.done === done) active = undefined;
      remote[Comlink.releaseProxy]();
    }
  },

  pause(): void {
    pauseGate ??= deferred();
  },

  resume(): void {
    pauseGate?.resolve();
    pauseGate = undefined;
  },

  stop(): void {
    active?.controller.abort();
    api.resume();
  },

  /** For the end-to-end tests: the steps the running fit's engine has submitted (0 with none running). */
  engineSteps(): number {
    return runningEngine?.steps ?? 0;
  },

  /** For the end-to-end tests: lose the device as a driver reset would. */
  async simulateDeviceLoss(): Promise<void> {
    (await devicePromise)?.device.destroy();
  },

  /** For the end-to-end tests: an uncaught error, as a bug in the worker would raise. */
  simulateCrash(): void {
    setTimeout(() => {
      throw new Error('simulated worker crash');
    });
  },
};

export type EngineApi = typeof api;

Comlink.expose(api);
