/**
 * The page's settings in the query string, so a link reproduces a run and a reload keeps it.
 * A value that is missing or invalid falls back to its default on its own: one bad field in a shared link
 * must not throw away the others.
 */
import { STOP_RULES, type StopRule } from '../vi/convergence';
import { MAX_FLOW_HIDDEN, MAX_FLOW_LAYERS } from '../vi/families/flow';
import { MAX_RANK } from '../vi/families/lowrank';
import { familyNames } from '../vi/families/registry';
import { findObjective, resolveObjective } from '../vi/objectives/registry';
import { optimizerNames } from '../vi/optimizers/registry';
import {
  DEFAULT_SETTINGS,
  MAX_DIAGNOSTIC_DRAWS,
  MAX_RESTARTS,
  MAX_SAMPLES,
  type FamilyName,
} from '../vi/settings';

export interface UiSettings {
  readonly model: string;
  readonly family: FamilyName;
  /** lowrank's rank (FitSettings.rank). */
  readonly rank: number | 'auto';
  /** The bound maximised, as --objective spells it: "kl", "iw:K", "renyi:ALPHA[:K]" (FitSettings.objective). */
  readonly objective: string;
  /** The objective's gradient estimator (FitSettings.estimator): one that objective offers. */
  readonly estimator: string;
  /** flow's coupling layers and hidden units (FitSettings.flowLayers, flowHidden). */
  readonly flowLayers: number;
  readonly flowHidden: number;
  readonly samples: number;
  readonly lr: number | 'auto';
  readonly optimizer: string;
  readonly stop: StopRule;
  readonly seed: number;
  readonly maxSteps: number;
  /** Draws of q for the final PSIS k-hat. */
  readonly diagnosticDraws: number | 'auto';
  /** Independent fits advanced together (FitSettings.restarts), 1 to 16. */
  readonly restarts: number;
}

export const DEFAULT_MODEL = 'normal-mean';

export const DEFAULT_UI_SETTINGS: UiSettings = {
  model: DEFAULT_MODEL,
  family: DEFAULT_SETTINGS.family,
  rank: DEFAULT_SETTINGS.rank,
  objective: DEFAULT_SETTINGS.objective,
  estimator: DEFAULT_SETTINGS.estimator,
  flowLayers: DEFAULT_SETTINGS.flowLayers,
  flowHidden: DEFAULT_SETTINGS.flowHidden,
  samples: DEFAULT_SETTINGS.samples,
  lr: DEFAULT_SETTINGS.lr,
  optimizer: DEFAULT_SETTINGS.optimizer,
  stop: DEFAULT_SETTINGS.stop,
  seed: DEFAULT_SETTINGS.seed,
  maxSteps: DEFAULT_SETTINGS.maxSteps,
  diagnosticDraws: DEFAULT_SETTINGS.diagnosticDraws,
  restarts: DEFAULT_SETTINGS.restarts,
};

const KEYS = [
  'model',
  'family',
  'rank',
  'objective',
  'estimator',
  'flowLayers',
  'flowHidden',
  'samples',
  'lr',
  'optimizer',
  'stop',
  'seed',
  'maxSteps',
  'diagnosticDraws',
  'restarts',
] as const;

function integer(text: string | null, min: number, max: number): number | undefined {
  if (text === null || !/^\d+$/.test(text)) return undefined;
  const value = Number(text);
  return Number.isSafeInteger(value) && value >= min && value <= max ? value : undefined;
}

function positive(text: string | null): number | undefined {
  if (text === null || text.trim() === '') return undefined;
  const value = Number(text);
  return Number.isFinite(value) && value > 0 ? value : undefined;
}

function oneOfOr<T extends string>(text: string | null, names: readonly T[], fallback: T): T {
  return text !== null && (names as readonly string[]).includes(text) ? (text as T) : fallback;
}

export function parseUrlState(search: string, models: readonly string[]): UiSettings {
  const q = new URLSearchParams(search);
  const d = DEFAULT_UI_SETTINGS;
  const model = q.get('model');
  const family = q.get('family');
  const objectiveText = q.get('objective');
  // Only a spelling the registry's parser accepts ("iw:8", not "iw:0" or "iw").
  const resolved = objectiveText === null ? undefined : resolveObjective(objectiveText);
  const objective = typeof resolved === 'object' && objectiveText !== null ? objectiveText : d.objective;
  const estimators = (typeof resolved === 'object' ? resolved : findObjective(d.objective))?.estimators ?? [];
  const estimator = q.get('estimator');
  return {
    model: model !== null && models.includes(model) ? model : d.model,
    family: family !== null && familyNames().includes(family) ? family : d.family,
    rank: q.get('rank') === 'auto' ? 'auto' : (integer(q.get('rank'), 1, MAX_RANK) ?? d.rank),
    objective,
    // One the objective offers, else its default (its first).
    estimator: estimators.find((e) => e.name === estimator)?.name ?? estimators[0]?.name ?? d.estimator,
    flowLayers: integer(q.get('flowLayers'), 1, MAX_FLOW_LAYERS) ?? d.flowLayers,
    flowHidden: integer(q.get('flowHidden'), 1, MAX_FLOW_HIDDEN) ?? d.flowHidden,
    samples: integer(q.get('samples'), 1, MAX_SAMPLES) ?? d.samples,
    lr: q.get('lr') === 'auto' ? 'auto' : (positive(q.get('lr')) ?? d.lr),
    optimizer: oneOfOr(q.get('optimizer'), optimizerNames(), d.optimizer),
    stop: oneOfOr(q.get('stop'), STOP_RULES, d.stop),
    seed: integer(q.get('seed'), 0, Number.MAX_SAFE_INTEGER) ?? d.seed,
    maxSteps: integer(q.get('maxSteps'), 1, 10_000_000) ?? d.maxSteps,
    diagnosticDraws:
      q.get('diagnosticDraws') === 'auto'
        ? 'auto'
        : (integer(q.get('diagnosticDraws'), 1000, MAX_DIAGNOSTIC_DRAWS) ?? d.diagnosticDraws),
    restarts: integer(q.get('restarts'), 1, MAX_RESTARTS) ?? d.restarts,
  };
}

export function toQueryString(settings: UiSettings): string {
  const q = new URLSearchParams();
  for (const key of KEYS) q.set(key, String(settings[key]));
  return `?${q.toString()}`;
}

/** Replaces (not pushes) the history entry: tweaking a field should not fill the back button. */
export function writeUrlState(settings: UiSettings): void {
  const query = toQueryString(settings);
  if (query !== window.location.search) {
    window.history.replaceState(null, '', `${window.location.pathname}${query}${window.location.hash}`);
  }
}
