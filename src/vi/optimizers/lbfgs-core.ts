/**
 * L-BFGS (Nocedal & Wright, "Numerical Optimization", algorithms 7.4 and 7.5) in float64 on the host, for an
 * objective that is a deterministic function of x (here: minus a Monte Carlo ELBO on fixed samples, evaluated
 * on the GPU, one evaluation per call of `evaluate`). Pure: no GPU, no DOM, no Node APIs.
 *
 * The line search finds a step meeting the strong Wolfe conditions (sufficient decrease, and |phi'| at most
 * c2 |phi'(0)|) by bracketing and zooming with cubic interpolation (Nocedal & Wright algorithms 3.5, 3.6).
 * With c2 = 0.1 it is nearly exact, which costs a second evaluation on some iterations but gives finite
 * termination on quadratics (D iterations, as conjugate gradients) and fewer iterations near an optimum,
 * where the ELBO is nearly quadratic. A point whose value or gradient is not finite is never accepted: it
 * bounds the bracket from above. The curvature condition keeps s'y > 0, so the inverse Hessian
 * approximation stays positive definite.
 */

export interface Evaluation {
  readonly f: number;
  /** The gradient of f (minimisation), same length as x. */
  readonly g: Float64Array;
}

export interface LbfgsOptions {
  /** History pairs kept (m). */
  readonly memory: number;
  /** Sufficient-decrease constant c1. */
  readonly c1: number;
  /** Curvature constant c2 of the strong Wolfe conditions (small: a nearly exact line search). */
  readonly c2: number;
  /** Most function evaluations one line search may take. */
  readonly maxLineSearch: number;
  /** Most evaluations in all. */
  readonly maxEvaluations: number;
  /**
   * FLAT_WINDOW accepted iterations that together lower f by at most this fraction of max(1, |f|) end the run
   * ("line-search": the objective is flat to its own precision). 0: never.
   */
  readonly flatDecrease: number;
  /**
   * Called after each accepted iteration with the new x and the quasi-Newton step from it (-H g, the
   * predicted move to the optimum); returning true ends the run as converged.
   */
  readonly converged?: (x: Float64Array, newtonStep: Float64Array, iteration: number, f: number) => boolean;
  /**
   * The starting matrix for each iteration, from the current x (e.g. q's own covariance for its means): an
   * approximation of the inverse Hessian makes the method insensitive to the problem's conditioning.
   */
  readonly precondition?: (x: Float64Array) => Preconditioner;
  /** The evaluation at x0 when the caller already has it (then x0 is not evaluated again). */
  readonly start?: Evaluation;
  /** Called after every evaluation (for progress; returning true stops the run, not converged). */
  readonly onEvaluation?: (info: { readonly f: number; readonly g: Float64Array }) => boolean | void;
  /**
   * Checks a claim of convergence before it is believed. In an ill-conditioned problem the history can
   * hold only the stiff directions' curvature, and then every step, taken or predicted, looks tiny while
   * the gradient still points along a flat direction far from the optimum. The probe measures the curvature
   * along the (preconditioned) gradient with one extra evaluation: `scale(x, direction)` returns the probe
   * step to take from x along the direction (small enough to be local, large enough for the gradient's
   * change to stand above its rounding); `settled(x, step)` says whether the Newton step it predicts along
   * that line is small enough. If not, the probe's curvature pair joins the history and the run goes on.
   */
  readonly probe?: {
    readonly scale: (x: Float64Array, direction: Float64Array) => Float64Array;
    readonly settled: (x: Float64Array, predicted: Float64Array) => boolean;
  };
  /**
   * Whether a step from x is too small to matter (it moves the answer by less than the tolerance): a line
   * search whose bracket has shrunk to such a step ends there, with its best point so far or none. Near the
   * optimum the objective's rounding makes the trial values noise, and the zoom would otherwise spend its
   * whole budget halving a bracket that no longer changes anything (dogs: 10-20 evaluations an iteration).
   */
  readonly negligible?: (x: Float64Array, step: Float64Array) => boolean;
}

export type LbfgsStop = 'converged' | 'line-search' | 'max-evaluations' | 'stopped' | 'not-finite';

export interface LbfgsResult {
  readonly x: Float64Array;
  readonly f: number;
  readonly g: Float64Array;
  readonly iterations: number;
  readonly evaluations: number;
  readonly stop: LbfgsStop;
  /** The last quasi-Newton step (-H g at x), for error estimates. */
  readonly newtonStep: Float64Array;
}

/** Accepted iterations over which the flatness test (flatDecrease) sums the progress. */
const FLAT_WINDOW = 5;
/** The longest first step along the preconditioned gradient, in x's units (the line search extends it). */
const FIRST_STEP_PRECONDITIONED = 10;
/** A probe with no positive curvature reads as flat when the value moved by less than this, relatively. */
const FLAT_PROBE = 1e-9;

export const DEFAULT_LBFGS_OPTIONS: LbfgsOptions = {
  memory: 30,
  c1: 1e-4,
  c2: 0.1,
  maxLineSearch: 10,
  maxEvaluations: 1000,
  flatDecrease: 0,
};

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] as number) * (b[i] as number);
  return s;
}

function allFinite(e: Evaluation): boolean {
  return Number.isFinite(e.f) && e.g.every(Number.isFinite);
}

/** Applies a symmetric positive-definite starting matrix H0 to a vector (the identity when absent). */
export type Preconditioner = (v: Float64Array) => Float64Array;

/**
 * -H g by the two-loop recursion. The starting matrix is gamma M, with M the preconditioner (the identity by
 * default) and gamma = s'y / y'My from the newest pair (1 with none): Nocedal & Wright eq. 7.20 in M's metric.
 */
export function twoLoop(
  g: Float64Array,
  s: readonly Float64Array[],
  y: readonly Float64Array[],
  precondition?: Preconditioner,
): Float64Array {
  const q = Float64Array.from(g);
  const k = s.length;
  const alpha = new Float64Array(k);
  const rho = s.map((si, i) => 1 / dot(y[i] as Float64Array, si));
  for (let i = k - 1; i >= 0; i--) {
    const a = (rho[i] as number) * dot(s[i] as Float64Array, q);
    alpha[i] = a;
    const yi = y[i] as Float64Array;
    for (let j = 0; j < q.length; j++) q[j] = (q[j] as number) - a * (yi[j] as number);
  }
  const apply = precondition ?? ((v: Float64Array) => v);
  const newestY = y[k - 1];
  const gamma =
    k > 0 && newestY
      ? dot(s[k - 1] as Float64Array, newestY) / dot(newestY, apply(Float64Array.from(newestY)))
      : 1;
  const r = apply(q);
  for (let j = 0; j < q.length; j++) q[j] = (r[j] as number) * gamma;
  for (let i = 0; i < k; i++) {
    const b = (rho[i] as number) * dot(y[i] as Float64Array, q);
    const si = s[i] as Float64Array;
    const a = alpha[i] as number;
    for (let j = 0; j < q.length; j++) q[j] = (q[j] as number) + (a - b) * (si[j] as number);
  }
  for (let j = 0; j < q.length; j++) q[j] = -(q[j] as number);
  return q;
}

function along(x: Float64Array, d: Float64Array, t: number): Float64Array {
  return Float64Array.from(x, (v, i) => v + t * (d[i] as number));
}

interface LinePoint {
  readonly t: number;
  readonly f: number;
  /** phi'(t) = g(x + t d)' d. */
  readonly slope: number;
  readonly e: Evaluation;
}

/**
 * The minimiser of the cubic through (a, fa, da) and (b, fb, db) (Nocedal & Wright eq. 3.59), or NaN when
 * it does not exist. On a quadratic it is exact.
 */
function cubicMinimizer(a: LinePoint, b: LinePoint): number {
  const d1 = a.slope + b.slope - (3 * (a.f - b.f)) / (a.t - b.t);
  const disc = d1 * d1 - a.slope * b.slope;
  if (!(disc >= 0)) return Number.NaN;
  const d2 = Math.sign(b.t - a.t) * Math.sqrt(disc);
  return b.t - (b.t - a.t) * ((b.slope + d2 - d1) / (b.slope - a.slope + 2 * d2));
}

export async function minimize(
  evaluate: (x: Float64Array) => Promise<Evaluation>,
  x0: Float64Array,
  partial: Partial<LbfgsOptions> = {},
): Promise<LbfgsResult> {
  const o = { ...DEFAULT_LBFGS_OPTIONS, ...partial };
  let evaluations = 0;
  let stopped = false;
  let x: Float64Array = Float64Array.from(x0);
  const evaluateAt = async (t: number, d: Float64Array): Promise<LinePoint> => {
    const e = await evaluate(along(x, d, t));
    evaluations++;
    if (o.onEvaluation?.(e) === true) stopped = true;
    const finite = allFinite(e);
    return { t, f: finite ? e.f : Number.NaN, slope: finite ? dot(e.g, d) : Number.NaN, e };
  };
  const start = o.start ?? (await evaluate(x));
  evaluations++;
  if (o.onEvaluation?.(start) === true) stopped = true;
  let current = start;
  const s: Float64Array[] = [];
  const y: Float64Array[] = [];
  let newton = twoLoop(current.g, s, y, o.precondition?.(x));
  const result = (stop: LbfgsStop, iterations: number): LbfgsResult => ({
    x,
    f: current.f,
    g: current.g,
    iterations,
    evaluations,
    stop,
    newtonStep: newton,
  });
  if (!allFinite(current)) return result('not-finite', 0);

  /**
   * A step meeting the strong Wolfe conditions along d (Nocedal & Wright algorithms 3.5 and 3.6), or the best
   * finite point with sufficient decrease found within the budget; undefined when there is none.
   */
  const lineSearch = async (d: Float64Array, slope0: number, t0: number): Promise<LinePoint | undefined> => {
    const f0 = current.f;
    const origin: LinePoint = { t: 0, f: f0, slope: slope0, e: current };
    const decreases = (p: LinePoint) => Number.isFinite(p.f) && p.f <= f0 + o.c1 * p.t * slope0;
    const flat = (p: LinePoint) => Math.abs(p.slope) <= -o.c2 * slope0;
    let best: LinePoint | undefined;
    const keep = (p: LinePoint) => {
      if (decreases(p) && (!best || p.f < best.f)) best = p;
    };
    const zoom = async (lo: LinePoint, hi: LinePoint): Promise<LinePoint | undefined> => {
      while (evaluations < o.maxEvaluations && !stopped && trials < o.maxLineSearch) {
        const [left, right] = lo.t < hi.t ? [lo.t, hi.t] : [hi.t, lo.t];
        if (
          o.negligible?.(
            x,
            Float64Array.from(d, (v) => v * (right - left)),
          )
        )
          return best;
        const margin = 0.1 * (right - left);
        const cubic = Number.isFinite(hi.f) ? cubicMinimizer(lo, hi) : Number.NaN;
        // A non-finite end gives no shape to interpolate: step a quarter of the way towards it.
        const t =
          cubic > left + margin && cubic < right - margin
            ? cubic
            : Number.isFinite(hi.f)
              ? (lo.t + hi.t) / 2
              : lo.t + 0.25 * (hi.t - lo.t);
        trials++;
        const p = await evaluateAt(t, d);
        keep(p);
        if (!decreases(p) || p.f >= lo.f) {
          hi = p;
        } else {
          if (flat(p)) return p;
          if (p.slope * (hi.t - lo.t) >= 0) hi = lo;
          lo = p;
        }
      }
      return best;
    };
    let trials = 0;
    let previous = origin;
    let t = t0;
    while (evaluations < o.maxEvaluations && !stopped && trials < o.maxLineSearch) {
      trials++;
      const p = await evaluateAt(t, d);
      keep(p);
      if (!decreases(p) || (previous.t > 0 && p.f >= previous.f)) return zoom(previous, p);
      if (flat(p)) return p;
      if (p.slope >= 0) return zoom(p, previous);
      // Still descending: extrapolate with the cubic through the last two points (exact on a quadratic),
      // kept between 1.1 and 10 times the current step.
      const cubic = cubicMinimizer(previous, p);
      t = Number.isFinite(cubic) ? Math.min(10 * p.t, Math.max(1.1 * p.t, cubic)) : 2 * p.t;
      previous = p;
    }
    return best;
  };

  const history: number[] = [current.f];
  /**
   * The probe of LbfgsOptions.probe at the current x: "settled" when the Newton step it predicts along the
   * preconditioned gradient is small (or no curvature is measurable there: flat to the objective's
   * precision), "unsettled" otherwise (the probe's pair then joins the history), "budget" when no
   * evaluation is left. Without a probe every claim is believed.
   */
  const verify = async (): Promise<'settled' | 'unsettled' | 'budget'> => {
    if (!o.probe) return 'settled';
    if (evaluations >= o.maxEvaluations) return 'budget';
    const direction = twoLoop(current.g, [], [], o.precondition?.(x));
    const step = o.probe.scale(x, direction);
    const probed = await evaluateAt(1, step);
    const change = Float64Array.from(probed.e.g, (v, i) => v - (current.g[i] as number));
    const curvature = dot(step, change);
    // A probe that lands on a non-finite value says nothing about the optimum: not settled.
    if (!Number.isFinite(probed.f)) return 'unsettled';
    if (!(curvature > 0)) {
      // No measurable curvature: settled only where the objective is flat to its precision there; a value
      // that changes with no positive curvature (far from any optimum, the gradient huge) is not.
      const flatThere = Math.abs(probed.f - current.f) <= FLAT_PROBE * Math.max(1, Math.abs(current.f));
      return flatThere ? 'settled' : 'unsettled';
    }
    const predicted = Float64Array.from(step, (v) => (v * -dot(current.g, step)) / curvature);
    if (o.probe.settled(x, predicted)) return 'settled';
    s.push(step);
    y.push(change);
    if (s.length > o.memory) {
      s.shift();
      y.shift();
    }
    return 'unsettled';
  };
  for (let iteration = 1; ; iteration++) {
    if (stopped) return result('stopped', iteration - 1);
    let slope = dot(current.g, newton);
    if (!(slope < 0)) {
      // Not a descent direction (rounding in a nearly singular history): restart from steepest descent.
      s.length = 0;
      y.length = 0;
      newton = twoLoop(current.g, s, y, o.precondition?.(x));
      slope = dot(current.g, newton);
      if (!(slope < 0)) return result('converged', iteration - 1);
    }
    // A first step along plain steepest descent is scaled to move x by at most 1, a preconditioned one by at
    // most FIRST_STEP_PRECONDITIONED (at a poor start, far from the data's scale, the preconditioned
    // gradient can be 10^7 long: its full step overflows and no shrinking within the line search's trials
    // comes back); later ones try the full step.
    const firstStep = o.precondition ? FIRST_STEP_PRECONDITIONED : 1;
    const t0 = s.length === 0 ? Math.min(1, firstStep / Math.sqrt(dot(newton, newton))) : 1;
    const found = await lineSearch(newton, slope, t0);
    if (!found) {
      if (stopped) return result('stopped', iteration - 1);
      if (evaluations >= o.maxEvaluations) return result('max-evaluations', iteration - 1);
      // No decrease along the quasi-Newton direction: the history may have gone stale (a curved valley).
      // Start afresh from the preconditioned gradient once; if that finds nothing either, x is as good as
      // the objective's precision allows.
      if (s.length === 0) {
        // Nothing along the preconditioned gradient either: converged, if the probe says the optimum is near.
        const verdict = await verify();
        return result(verdict === 'settled' ? 'converged' : 'line-search', iteration - 1);
      }
      s.length = 0;
      y.length = 0;
      newton = twoLoop(current.g, s, y, o.precondition?.(x));
      continue;
    }
    const step = Float64Array.from(newton, (v) => v * found.t);
    const change = Float64Array.from(found.e.g, (v, i) => v - (current.g[i] as number));
    // Keep the pair only when its curvature is positive (a fallback point may not meet the curvature test).
    if (dot(step, change) > 1e-12 * Math.sqrt(dot(step, step) * dot(change, change))) {
      s.push(step);
      y.push(change);
      if (s.length > o.memory) {
        s.shift();
        y.shift();
      }
    }
    history.push(found.f);
    const earlier =
      history.length > FLAT_WINDOW ? (history[history.length - 1 - FLAT_WINDOW] as number) : Number.NaN;
    const flat = earlier - found.f <= o.flatDecrease * Math.max(1, Math.abs(found.f));
    x = along(x, newton, found.t);
    current = found.e;
    newton = twoLoop(current.g, s, y, o.precondition?.(x));
    if (o.converged?.(x, newton, iteration, current.f)) {
      const verdict = await verify();
      if (verdict !== 'unsettled')
        return result(verdict === 'settled' ? 'converged' : 'max-evaluations', iteration);
      newton = twoLoop(current.g, s, y, o.precondition?.(x));
    }
    if (flat) {
      const verdict = await verify();
      return result(verdict === 'settled' ? 'converged' : 'line-search', iteration);
    }
    if (evaluations >= o.maxEvaluations) return result('max-evaluations', iteration);
  }
}
