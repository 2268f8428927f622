/**
 * The fit loop for an optimizer the host runs (L-BFGS on fixed samples): each evaluation writes lambda, runs
 * one step on the GPU (the bound and its gradient on the same draws every time) and reads the gradient back;
 * lbfgs-core.ts chooses the next lambda. It stops when, at two iterations in a row, both the step just taken
 * and the quasi-Newton step predicted next move q's marginals by less than a tenth of tolSd (either alone can
 * mislead: the predicted step is scaled by the most recent curvature, so in an ill-conditioned posterior it
 * can look tiny while the gradient is not; the step taken follows the line search, which goes to the
 * minimum along its direction), then refits from there with a second seed: the two optima differ by the
 * error the fixed samples leave, which the result reports.
 */
import { marginalChange, type StopReason } from './convergence';
import { noUsableStartMessage } from './result';
import { START_SCALES, type FitOptions, type FitOutcome, type FitParts, type RestartOutcome } from './fit';
import { minimize, type Evaluation, type LbfgsResult } from './optimizers/lbfgs-core';
import { philoxKey } from './program';

/** The quasi-Newton step must predict less movement than this fraction of tolSd. */
const LBFGS_TOL_FRACTION = 0.1;
/** Evaluations the second-seed refit may take (it starts at the first optimum). */
const CHECK_EVALUATIONS = 200;
/**
 * Relative decrease per iteration below which the objective counts as flat: its f32 sums of millions of
 * terms are reproducible but rough at about 1e-9 relative, so smaller gains are rounding, not progress.
 */
const FLAT_RELATIVE_DECREASE = 1e-8;
/**
 * How far the convergence probe moves q (in its sds): local enough for a finite difference of the gradient,
 * far enough for the change to stand well above the gradient's f32 rounding along a flat direction.
 */
const PROBE_MOVEMENT = 0.05;
function finiteEvaluation(e: Evaluation): boolean {
  return Number.isFinite(e.f) && e.g.every(Number.isFinite);
}

export async function runHostFit(parts: FitParts, options: FitOptions): Promise<FitOutcome> {
  const { runner, program, settings, components } = parts;
  const { family } = components;
  const d = program.spec.prepared.dimension;
  const start = performance.now();
  const trace: [number, number, number][] = [];
  let batchStart = start;
  let final = Number.NaN;

  const marginals = (x: Float64Array) => family.marginals(Float32Array.from(x), d);
  const movement = (x: Float64Array, step: Float64Array) =>
    marginalChange(marginals(Float64Array.from(x, (v, i) => v + (step[i] as number))), marginals(x));

  /**
   * One evaluation on the GPU: minus the bound and minus its gradient (L-BFGS minimises). The sums are
   * taken about the current iterate's value (`centre`), so the line search sees differences far below the
   * bound's own f32 rounding.
   */
  let centre = 0;
  let centred = false;
  /** The Monte Carlo part's mean at the point evaluated last. */
  let latestCentre = 0;
  const evaluate = async (x: Float64Array): Promise<Evaluation> => {
    program.writeLambda(Float32Array.from(x));
    program.writeShift(centre);
    let out: Evaluation = { f: Number.NaN, g: new Float64Array(x.length) };
    await runner.run(
      1,
      (metrics, view) => {
        const m = metrics[0];
        if (!m || !view) return;
        // The bound in float64 from its parts: the Monte Carlo part about the shift, and the entropy in
        // float64 where the family has it in closed form (its f32 value would round the differences away).
        const closed =
          components.objective.closedIsEntropy && family.closedFormEntropy && family.entropy
            ? family.entropy(x, d)
            : m.parts.closed;
        // host_gradient.wgsl reports applied = finite: an unusable step (the KL objective kept fewer than
        // half of its samples) has finite parts of its own, but no value to compare.
        const value = m.applied ? m.parts.shift + m.parts.relative + closed : Number.NaN;
        out = { f: -value, g: Float64Array.from(view, (v) => -v) };
        // The shift is the Monte Carlo part's mean at the current iterate (the first finite one to begin).
        if (!centred && Number.isFinite(value)) {
          centre = m.parts.shift + m.parts.relative;
          centred = true;
        }
        latestCentre = m.parts.shift + m.parts.relative;
        const now = performance.now();
        const msPerStep = now - batchStart;
        batchStart = now;
        options.onProgress?.(
          { ...m, phase: 'fitting', msPerStep, samplesPerSecond: (settings.samples * 1000) / msPerStep },
          metrics,
        );
      },
      options,
    );
    return out;
  };

  const tol = settings.tolSd * LBFGS_TOL_FRACTION;
  /**
   * The convergence test, with its memory of the previous iterate, of the last steps' movements and of quiet
   * iterations: settled once the step taken and the step predicted both move q by less than tol, twice in a
   * row. `recent` is the largest movement of the last few steps taken: the error estimate when the run ends
   * because the objective went flat (at f32 precision) instead.
   */
  const settledTest = (x0: Float64Array) => {
    let previous = x0;
    let quiet = 0;
    const taken: number[] = [];
    const test = (x: Float64Array, step: Float64Array): boolean => {
      taken.push(marginalChange(marginals(x), marginals(previous)));
      if (taken.length > 3) taken.shift();
      const predicted = movement(x, step);
      previous = x;
      quiet = Math.max(taken[taken.length - 1] as number, predicted) < tol ? quiet + 1 : 0;
      return quiet >= 2;
    };
    return {
      test,
      recent: () => (taken.length ? Math.max(...taken) : Number.POSITIVE_INFINITY),
      last: () => taken[taken.length - 1] ?? Number.POSITIVE_INFINITY,
    };
  };
  /**
   * The curvature probe that checks each claim of convergence (see LbfgsOptions.probe): a step along the
   * preconditioned gradient that moves q's marginals by PROBE_MOVEMENT, and the Newton step it predicts must
   * move them by less than tol.
   */
  /** The movement the last convergence probe predicted (the error estimate once it settled). */
  let probed: number | undefined;
  const probe = {
    scale: (x: Float64Array, direction: Float64Array) => {
      const unit = movement(x, direction);
      const factor = Number.isFinite(unit) && unit > 0 ? PROBE_MOVEMENT / unit : 1e-3;
      return Float64Array.from(direction, (v) => v * factor);
    },
    settled: (x: Float64Array, predicted: Float64Array) => {
      probed = movement(x, predicted);
      return probed < tol;
    },
  };
  /** A line-search bracket that moves q's marginals by less than tol: its trials could only be rounding. */
  const negligible = (x: Float64Array, step: Float64Array) => movement(x, step) < tol;
  let startScale: number = START_SCALES[0];
  let start0 = Float64Array.from(family.initial(d, startScale));
  let startEvaluation = await evaluate(start0);
  for (const scale of START_SCALES.slice(1)) {
    if (finiteEvaluation(startEvaluation) || options.signal?.aborted) break;
    startScale = scale;
    start0 = Float64Array.from(family.initial(d, scale));
    startEvaluation = await evaluate(start0);
  }
  const firstTest = settledTest(start0);
  const precondition = family.precondition
    ? (x: Float64Array) => family.precondition?.(x, d) ?? ((v) => v)
    : undefined;
  const first = await minimize(evaluate, start0, {
    start: startEvaluation,
    ...(precondition ? { precondition } : {}),
    probe,
    negligible,
    maxEvaluations: settings.maxSteps,
    flatDecrease: FLAT_RELATIVE_DECREASE,
    onEvaluation: () => options.signal?.aborted === true,
    converged: (x, step, _iteration, f) => {
      final = -f;
      // The accepted point was (almost always) the last one evaluated: its Monte Carlo mean is the next
      // shift; any value near the coming ones keeps the sums precise.
      centre = latestCentre;
      trace.push([runner.steps - 1, final, 0]);
      return firstTest.test(x, step);
    },
  });
  if (Number.isFinite(first.f)) final = -first.f;
  // The probe's prediction when it verified the optimum; otherwise the last steps' movement.
  const lastMovement = first.stop === 'converged' && probed !== undefined ? probed : firstTest.recent();

  const settledFirst =
    first.stop === 'converged' || (first.stop === 'line-search' && lastMovement < settings.tolSd);
  let sampleError: number | null = null;
  if (settledFirst) {
    // The same fit on other draws, from the first optimum: it lands a sample error away.
    program.writeSetting('seed', philoxKey(settings.seed + 1));
    const budget = Math.min(CHECK_EVALUATIONS, Math.max(0, settings.maxSteps - runner.steps));
    const checkTest = settledTest(first.x);
    const check: LbfgsResult | undefined =
      budget > 1
        ? await minimize(evaluate, first.x, {
            ...(precondition ? { precondition } : {}),
            probe,
            negligible,
            maxEvaluations: budget,
            flatDecrease: FLAT_RELATIVE_DECREASE,
            onEvaluation: () => options.signal?.aborted === true,
            converged: (x, step) => checkTest.test(x, step),
          })
        : undefined;
    // Its first step is the sample error itself; settled means its last step is small.
    const settled =
      check?.stop === 'converged' || (check?.stop === 'line-search' && checkTest.last() < settings.tolSd);
    if (check && settled) sampleError = marginalChange(marginals(check.x), marginals(first.x)) / Math.SQRT2;
    program.writeSetting('seed', philoxKey(settings.seed));
  }
  program.writeLambda(Float32Array.from(first.x));

  const stopReason: StopReason = options.signal?.aborted
    ? 'stopped'
    : first.stop === 'converged'
      ? 'optimum'
      : first.stop === 'not-finite'
        ? 'diverged'
        : first.stop === 'line-search'
          ? settledFirst
            ? 'optimum'
            : 'line-search'
          : 'max-steps';
  // Not one start from sd 1 down to the narrowest gave a usable bound: no step was ever taken.
  const noStart = stopReason === 'diverged' && !finiteEvaluation(startEvaluation);
  // One restart: settings refuse restarts with an optimizer the host runs.
  const outcome: RestartOutcome = {
    ...(noStart ? { message: noUsableStartMessage(START_SCALES) } : {}),
    stopReason,
    trace,
    final,
    finalMcse: Number.NaN,
    steps: runner.steps,
    accuracy: {
      rule: 'lbfgs',
      optimizerError: Number.isFinite(lastMovement) ? lastMovement : null,
      sampleError,
      stepSizes: [],
      startScale,
    },
  };
  return { restarts: [outcome], elapsedMs: performance.now() - start };
}
