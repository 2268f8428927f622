/**
 * Fit settings: defaults, and validation that names the field and what was expected, before any GPU work.
 * The family, objective and optimizer names are checked against their registries.
 */
import { STOP_RULES, type StopRule } from './convergence';
import { familyNames, findFamily, type FamilyDescriptor } from './families/registry';
import { DEFAULT_FLOW_HIDDEN, DEFAULT_FLOW_LAYERS, MAX_FLOW_HIDDEN, MAX_FLOW_LAYERS } from './families/flow';
import { MAX_RANK } from './families/lowrank';
import {
  findObjective,
  objectiveNames,
  resolveObjective,
  type ObjectiveDescriptor,
} from './objectives/registry';
import { findOptimizer, optimizerNames, type OptimizerDescriptor } from './optimizers/registry';
import { POOL_METHODS, type PoolMethod } from './restarts';

/** A family's name (see families/registry.ts). */
export type FamilyName = string;

export interface FitSettings {
  readonly family: FamilyName;
  /** lowrank: columns of B (1 to min(D, 32), checked once D is known), or "auto": min(D, 8). */
  readonly rank: number | 'auto';
  /** flow: affine coupling layers, 1 to 8. */
  readonly flowLayers: number;
  /** flow: tanh units in each coupling layer's MLP, 1 to 32 (with D, bounded by the parameter limit). */
  readonly flowHidden: number;
  /**
   * The bound maximised (see objectives/registry.ts): "kl" (the ELBO), "iw:K" (importance-weighted, K draws
   * per estimate) or "renyi:ALPHA[:K]".
   */
  readonly objective: string;
  /** The objective's gradient estimator: for "kl", "entropy" (closed-form entropy) or "stl". */
  readonly estimator: string;
  /** The optimizer (see optimizers/registry.ts). */
  readonly optimizer: string;
  /** Monte Carlo samples of q per optimizer step: 1 to 2^24. */
  readonly samples: number;
  /** Step limit (for the host L-BFGS: evaluations of the objective). */
  readonly maxSteps: number;
  /** Adam's learning rate, or "auto": the best of a short trial of candidates (see fit.ts). */
  readonly lr: number | 'auto';
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  /** Clip the gradient's norm to this (0: no clipping). */
  readonly clip: number;
  readonly seed: number;
  /** The stopping rule: "optimum" (q stopped moving; with decay on plateau), "stan" (tol), "mcse". */
  readonly stop: StopRule;
  /** Stan's relative ELBO tolerance (stop "stan"). */
  readonly tol: number;
  /** "optimum": how little q's marginals may still move between windows, in sds. */
  readonly tolSd: number;
  /** Steps between convergence checks (each check compares window means of the ELBO). */
  readonly evalEvery: number;
  /** Optimizer steps encoded per GPU submit (at most; rounded down to a divisor of evalEvery, see submitSize). */
  readonly stepsPerSubmit: number;
  /** Draws from q for the posterior summaries (at least 10^3). */
  readonly draws: number;
  /**
   * Draws from q for the PSIS diagnostic after a fit (k-hat, IW-ELBO, corrected summaries): 10^3 to 2^24, or
   * "auto": 10^6 on a GPU, 10^5 on a CPU adapter (see diagnosticDrawsFor). GPU memory does not depend on it
   * (src/vi/diagnostics/program.ts).
   */
  readonly diagnosticDraws: number | 'auto';
  /**
   * Independent fits advanced together, 1 to MAX_RESTARTS (one GPU dispatch per step for all of them):
   * restart 0 from the family's usual start, restart k > 0 with its means uniform(-2, 2) on the unconstrained
   * space (drawn from the seed, as Stan draws inits). The result is the restart with the best final ELBO;
   * every restart is reported (FitResult.restarts). More than 1 needs optimizer "adam".
   */
  readonly restarts: number;
  /**
   * How the summary and the draws pool the restarts (restarts.ts): "best", the restart with the best final
   * ELBO; "resample", importance resampling of settings.draws draws from every restart's q, with PSIS-smoothed
   * weights log p - log q_k, as multi-path Pathfinder pools its paths.
   */
  readonly pool: PoolMethod;
}

export const MAX_SAMPLES = 2 ** 24;
/** The most restarts one fit advances together (--restarts). */
export const MAX_RESTARTS = 16;
/** The most draws the PSIS diagnostic takes (its GPU tail selection is sized for this). */
export const MAX_DIAGNOSTIC_DRAWS = 2 ** 24;

/**
 * The diagnostic's draws for an adapter. 10^6 is what an accurate k-hat wants (Pyro's maintainers' figure) and
 * takes a fraction of a second on a GPU; a CPU adapter evaluates each draw's log density in software (logistic:
 * ~130 s for 10^6 on SwiftShader), so "auto" gives it 10^5, whose tail of 3 sqrt(S) ~ 950 draws still fits
 * the Pareto shape well.
 */
export function diagnosticDrawsFor(setting: number | 'auto', isCpu: boolean): number {
  if (setting !== 'auto') return setting;
  return isCpu ? 100_000 : 1_000_000;
}

export const DEFAULT_SETTINGS: FitSettings = {
  family: 'meanfield',
  rank: 'auto',
  flowLayers: DEFAULT_FLOW_LAYERS,
  flowHidden: DEFAULT_FLOW_HIDDEN,
  objective: 'kl',
  estimator: 'entropy',
  // L-BFGS on fixed samples: on the accuracy benchmark (BENCHMARKS.md) it reached the target on every
  // workload in a fraction of Adam's evaluations, says when it has converged, and estimates its sample error.
  optimizer: 'lbfgs',
  samples: 2 ** 14,
  maxSteps: 2000,
  lr: 'auto',
  beta1: 0.9,
  beta2: 0.999,
  epsilon: 1e-8,
  clip: 0,
  seed: 1,
  stop: 'optimum',
  tol: 0.01,
  tolSd: 0.01,
  evalEvery: 50,
  stepsPerSubmit: 10,
  draws: 100_000,
  diagnosticDraws: 'auto',
  restarts: 1,
  pool: 'best',
};

export class SettingsError extends Error {
  override name = 'SettingsError';
  constructor(
    readonly field: string,
    readonly expected: string,
    got: unknown,
  ) {
    super(`setting "${field}": expected ${expected}, got ${JSON.stringify(got) ?? String(got)}`);
  }
}

/** "a" or "a", "b" or "c" for a list of names. */
export function oneOf(names: readonly string[]): string {
  const quoted = names.map((n) => `"${n}"`);
  return quoted.length <= 1
    ? (quoted[0] ?? 'nothing')
    : `${quoted.slice(0, -1).join(', ')} or ${quoted[quoted.length - 1]}`;
}

function integerIn(field: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new SettingsError(field, `an integer in [${min}, ${max}]`, value);
  }
  return value;
}

function realIn(field: string, value: unknown, check: (x: number) => boolean, expected: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || !check(value)) {
    throw new SettingsError(field, expected, value);
  }
  return value;
}

export interface FitComponents {
  readonly family: FamilyDescriptor;
  readonly objective: ObjectiveDescriptor;
  readonly optimizer: OptimizerDescriptor;
}

/** The objectives as they are written: "kl", "iw:K", "renyi:ALPHA[:K]". */
function objectiveSpellings(): string[] {
  return objectiveNames().map((n) => findObjective(n)?.usage ?? n);
}

/** The registered family, objective and optimizer that settings name (they are checked to go together). */
export function fitComponents(s: FitSettings): FitComponents {
  const family = findFamily(s.family);
  if (!family) throw new SettingsError('family', oneOf(familyNames()), s.family);
  const objective = resolveObjective(s.objective);
  if (objective === undefined) {
    throw new SettingsError('objective', oneOf(objectiveSpellings()), s.objective);
  }
  if (typeof objective === 'string') throw new SettingsError('objective', objective, s.objective);
  const optimizer = findOptimizer(s.optimizer);
  if (!optimizer) throw new SettingsError('optimizer', oneOf(optimizerNames()), s.optimizer);
  const estimators = objective.estimators.map((e) => e.name);
  if (!estimators.includes(s.estimator)) {
    throw new SettingsError(
      'estimator',
      `${oneOf(estimators)} (for objective "${objective.name}")`,
      s.estimator,
    );
  }
  if (
    optimizer.driver === 'host' &&
    objective.estimators.find((e) => e.name === s.estimator)?.stochasticOnly
  ) {
    // On fixed samples the STL (or DReG) direction is not the gradient of the objective the line search evaluates.
    throw new SettingsError(
      'estimator',
      `"entropy" with optimizer "${optimizer.name}" (${s.estimator} needs a stochastic optimizer: optimizer "adam")`,
      s.estimator,
    );
  }
  const group = objective.group ?? 1;
  if (typeof s.samples === 'number' && s.samples % group !== 0) {
    throw new SettingsError(
      'samples',
      `a multiple of ${group} (objective "${s.objective}" takes ${group} draws per estimate)`,
      s.samples,
    );
  }
  if (optimizer.driver === 'host' && s.clip > 0) {
    throw new SettingsError(
      'clip',
      `0 with optimizer "${optimizer.name}" (its line search sets the step; clipping needs optimizer "adam")`,
      s.clip,
    );
  }
  if (optimizer.driver === 'host' && s.restarts !== 1) {
    // The host's line searches take different numbers of evaluations per start: they cannot share a dispatch.
    throw new SettingsError(
      'restarts',
      `1 with optimizer "${optimizer.name}" (restarts advance together on the GPU: use optimizer "adam")`,
      s.restarts,
    );
  }
  const problem = objective.incompatibility(family, s.estimator);
  if (problem)
    throw new SettingsError('estimator', `an estimator the family supports (${problem})`, s.estimator);
  return { family, objective, optimizer };
}

/** Fills defaults and checks every field. */
/**
 * The optimizer when none is named: L-BFGS (DEFAULT_SETTINGS), unless another setting asks for what only a
 * stochastic optimizer does (restarts above 1, gradient clipping, an estimator such as STL that follows no
 * line search): then Adam, so that `--restarts 4` alone just works. Naming lbfgs with one of them stays an
 * error that says why (fitComponents).
 */
function defaultOptimizer(partial: Partial<FitSettings>): string {
  const objective = resolveObjective(partial.objective ?? DEFAULT_SETTINGS.objective);
  const estimator =
    typeof objective === 'object' && partial.estimator !== undefined
      ? objective.estimators.find((e) => e.name === partial.estimator)
      : undefined;
  const stochastic =
    (partial.restarts ?? 1) > 1 || (partial.clip ?? 0) > 0 || estimator?.stochasticOnly === true;
  return stochastic ? 'adam' : DEFAULT_SETTINGS.optimizer;
}

export function resolveSettings(partial: Partial<FitSettings> = {}): FitSettings {
  const s = { ...DEFAULT_SETTINGS, ...partial, optimizer: partial.optimizer ?? defaultOptimizer(partial) };
  integerIn('restarts', s.restarts, 1, MAX_RESTARTS);
  fitComponents(s);
  integerIn('samples', s.samples, 1, MAX_SAMPLES);
  integerIn('maxSteps', s.maxSteps, 1, 10_000_000);
  integerIn('seed', s.seed, 0, 2 ** 53 - 1);
  integerIn('evalEvery', s.evalEvery, 2, 100_000);
  integerIn('stepsPerSubmit', s.stepsPerSubmit, 1, 1000);
  integerIn('draws', s.draws, 1000, 10_000_000);
  if (s.diagnosticDraws !== 'auto')
    integerIn('diagnosticDraws', s.diagnosticDraws, 1000, MAX_DIAGNOSTIC_DRAWS);
  if (s.rank !== 'auto') integerIn('rank', s.rank, 1, MAX_RANK);
  integerIn('flowLayers', s.flowLayers, 1, MAX_FLOW_LAYERS);
  integerIn('flowHidden', s.flowHidden, 1, MAX_FLOW_HIDDEN);
  if (s.lr !== 'auto') realIn('lr', s.lr, (x) => x > 0, 'a learning rate > 0 or "auto"');
  if (!(STOP_RULES as readonly string[]).includes(s.stop))
    throw new SettingsError('stop', oneOf(STOP_RULES), s.stop);
  realIn('tolSd', s.tolSd, (x) => x > 0 && x < 1, 'a tolerance in (0, 1) (in posterior sds)');
  realIn('beta1', s.beta1, (x) => x >= 0 && x < 1, 'a number in [0, 1)');
  realIn('beta2', s.beta2, (x) => x >= 0 && x < 1, 'a number in [0, 1)');
  realIn('epsilon', s.epsilon, (x) => x > 0, 'a number > 0');
  realIn('clip', s.clip, (x) => x >= 0, 'a number >= 0 (0: no clipping)');
  realIn('tol', s.tol, (x) => x > 0, 'a tolerance > 0');
  if (!(POOL_METHODS as readonly string[]).includes(s.pool))
    throw new SettingsError('pool', oneOf(POOL_METHODS), s.pool);
  return s;
}
