/**
 * The settings form: model, data file, family, objective and its estimator, samples per step, learning rate, seed, step limit,
 * the draws of the final PSIS diagnostic.
 * It only reads and writes the form; what a change means is main.ts's business.
 */
import type { ModelDefinition } from '../models/types';
import { MAX_FLOW_HIDDEN, MAX_FLOW_LAYERS } from '../vi/families/flow';
import { familyNames, findFamily } from '../vi/families/registry';
import { findOptimizer, optimizerNames } from '../vi/optimizers/registry';
import {
  MAX_DIAGNOSTIC_DRAWS,
  MAX_SAMPLES,
  resolveSettings,
  SettingsError,
  type FamilyName,
} from '../vi/settings';
import { formatBinaryCount, formatInteger } from './format';
import {
  argumentPlaceholder,
  checkObjective,
  estimatorChoices,
  estimatorFor,
  joinObjective,
  objectiveChoices,
  splitObjective,
  suggestedArgument,
  takesArgument,
} from './objective-choice';
import type { UiSettings } from './url-state';

/** 1K ... 16M samples per step, in factors of 4. */
export const SAMPLE_PRESETS: readonly number[] = [
  2 ** 10,
  2 ** 12,
  2 ** 14,
  2 ** 16,
  2 ** 18,
  2 ** 20,
  2 ** 22,
  MAX_SAMPLES,
];

/** 10^4 ... 10^7 and 2^24 draws for the final k-hat (10^6 by default: Pyro's advice for an accurate one). */
export const DIAGNOSTIC_PRESETS: readonly number[] = [
  10_000,
  100_000,
  1_000_000,
  10_000_000,
  MAX_DIAGNOSTIC_DRAWS,
];

/** The model selector's value for a Stan program from the editor (never a built-in model's name). */
export const STAN_CHOICE = 'stan';

export interface ControlElements {
  readonly form: HTMLFormElement;
  readonly model: HTMLSelectElement;
  readonly modelTitle: HTMLElement;
  readonly dataFile: HTMLInputElement;
  readonly dataSource: HTMLElement;
  readonly clearData: HTMLButtonElement;
  readonly family: HTMLSelectElement;
  /** lowrank's rank: enabled only for a family that reads it. */
  readonly rank: HTMLSelectElement;
  /** The objective's name (from its registry) and its argument ("8" for iw:8), and the inline error under them. */
  readonly objective: HTMLSelectElement;
  readonly objectiveArg: HTMLInputElement;
  readonly objectiveError: HTMLElement;
  /** The objective's gradient estimator, and the line under it saying what the chosen one is. */
  readonly estimator: HTMLSelectElement;
  readonly estimatorHint: HTMLElement;
  /** flow's coupling layers and hidden units: enabled only for the flow family. */
  readonly flowLayers: HTMLSelectElement;
  readonly flowHidden: HTMLSelectElement;
  readonly samples: HTMLSelectElement;
  readonly lr: HTMLInputElement;
  readonly optimizer: HTMLSelectElement;
  readonly stop: HTMLSelectElement;
  readonly seed: HTMLInputElement;
  readonly maxSteps: HTMLInputElement;
  readonly diagnosticDraws: HTMLSelectElement;
  /** Independent fits from K starts (FitSettings.restarts). */
  readonly restarts: HTMLInputElement;
}

/** lowrank's ranks offered (a link may carry any other, which gets its own option). */
const RANK_PRESETS = [1, 2, 4, 8, 16, 32];
/** flow's shapes offered: every layer count, and hidden widths in powers of 2. */
const FLOW_LAYER_PRESETS = Array.from({ length: MAX_FLOW_LAYERS }, (_, i) => i + 1);
const FLOW_HIDDEN_PRESETS = [2, 4, 8, 16, MAX_FLOW_HIDDEN];

function sampleLabel(n: number): string {
  return `${formatBinaryCount(n)} (${formatInteger(n)})`;
}

/** A preset's option, or one of its own for a value from a shared link, in order. */
function selectValue(select: HTMLSelectElement, value: number, label: (n: number) => string): void {
  if (![...select.options].some((o) => o.value === String(value))) {
    const custom = new Option(label(value), String(value));
    const after = [...select.options].find((o) => o.value !== 'auto' && Number(o.value) > value);
    select.add(custom, after ?? null);
  }
  select.value = String(value);
}

/** The field names SettingsError uses, as the form labels them. */
const FIELD_LABELS: Readonly<Record<string, string>> = {
  lr: 'Learning rate',
  seed: 'Seed',
  maxSteps: 'Maximum steps',
  stop: 'Stopping rule',
  objective: 'Objective',
  estimator: 'Estimator',
  samples: 'Samples per step',
  restarts: 'Restarts',
};

export class Controls {
  /** The objective whose argument the box holds: switching to another offers that one's first argument. */
  private objectiveShown = '';

  constructor(
    readonly el: ControlElements,
    models: readonly ModelDefinition[],
  ) {
    el.model.replaceChildren(
      ...models.map((m) => {
        const option = new Option(m.name, m.name);
        option.title = m.title;
        return option;
      }),
      new Option('Stan model…', STAN_CHOICE),
    );
    el.samples.replaceChildren(...SAMPLE_PRESETS.map((n) => new Option(sampleLabel(n), String(n))));
    el.diagnosticDraws.replaceChildren(
      new Option('auto (10⁶ on a GPU, 10⁵ on a CPU adapter)', 'auto'),
      ...DIAGNOSTIC_PRESETS.map((n) => new Option(formatInteger(n), String(n))),
    );
    el.family.replaceChildren(
      ...familyNames().map((name) => new Option(findFamily(name)?.title ?? name, name)),
    );
    el.objective.replaceChildren(...objectiveChoices().map((c) => new Option(c.text, c.value)));
    el.rank.replaceChildren(
      new Option('auto (min(D, 8))', 'auto'),
      ...RANK_PRESETS.map((k) => new Option(String(k), String(k))),
    );
    el.flowLayers.replaceChildren(...FLOW_LAYER_PRESETS.map((n) => new Option(String(n), String(n))));
    el.flowHidden.replaceChildren(...FLOW_HIDDEN_PRESETS.map((n) => new Option(String(n), String(n))));
    el.optimizer.replaceChildren(
      ...optimizerNames().map((name) => new Option(findOptimizer(name)?.title ?? name, name)),
    );
  }

  /** Fills the form (a value from a shared link that is not a preset gets an option of its own). */
  write(settings: UiSettings): void {
    const { el } = this;
    el.model.value = settings.model;
    el.family.value = settings.family;
    if (settings.rank === 'auto') el.rank.value = 'auto';
    else selectValue(el.rank, settings.rank, String);
    selectValue(el.flowLayers, settings.flowLayers, String);
    selectValue(el.flowHidden, settings.flowHidden, String);
    this.showFamilyFields();
    const objective = splitObjective(settings.objective);
    el.objective.value = objective.name;
    el.objectiveArg.value = objective.argument;
    this.objectiveShown = objective.name;
    this.showObjectiveFields();
    el.estimator.value = estimatorFor(objective.name, settings.estimator);
    this.showEstimatorHint();
    selectValue(el.samples, settings.samples, sampleLabel);
    el.lr.value = String(settings.lr);
    el.optimizer.value = settings.optimizer;
    el.stop.value = settings.stop;
    this.showOptimizerFields();
    el.seed.value = String(settings.seed);
    el.maxSteps.value = String(settings.maxSteps);
    el.restarts.value = String(settings.restarts);
    if (settings.diagnosticDraws === 'auto') el.diagnosticDraws.value = 'auto';
    else selectValue(el.diagnosticDraws, settings.diagnosticDraws, formatInteger);
  }

  /**
   * The form's settings, checked by the engine's own rules so the message matches what the CLI says. An
   * objective that does not parse (or does not go with the family or the samples) is also shown under it.
   */
  read(): { settings: UiSettings } | { error: string } {
    const { el } = this;
    const objective = joinObjective(
      el.objective.value,
      takesArgument(el.objective.value) ? el.objectiveArg.value : '',
    );
    const checked = checkObjective(objective);
    if ('error' in checked) {
      this.showObjectiveError(checked.error, true);
      return { error: checked.error };
    }
    const settings: UiSettings = {
      model: el.model.value,
      family: el.family.value as FamilyName,
      rank: el.rank.value === 'auto' ? 'auto' : Number(el.rank.value),
      objective,
      estimator: el.estimator.value,
      flowLayers: Number(el.flowLayers.value),
      flowHidden: Number(el.flowHidden.value),
      optimizer: el.optimizer.value,
      stop: el.stop.value as UiSettings['stop'],
      samples: Number(el.samples.value),
      lr:
        el.lr.value.trim().toLowerCase() === 'auto'
          ? 'auto'
          : el.lr.value.trim() === ''
            ? Number.NaN
            : Number(el.lr.value),
      seed: el.seed.value.trim() === '' ? Number.NaN : Number(el.seed.value),
      maxSteps: el.maxSteps.value.trim() === '' ? Number.NaN : Number(el.maxSteps.value),
      diagnosticDraws: el.diagnosticDraws.value === 'auto' ? 'auto' : Number(el.diagnosticDraws.value),
      restarts: el.restarts.value.trim() === '' ? Number.NaN : Number(el.restarts.value),
    };
    try {
      const { model: _model, ...fit } = settings;
      resolveSettings(fit);
      this.showObjectiveError(undefined);
      return { settings };
    } catch (error) {
      if (error instanceof SettingsError) {
        const text = `${FIELD_LABELS[error.field] ?? error.field}: expected ${error.expected}.`;
        // The objective's own conflicts: its estimator with the family, its K with the samples per step.
        const aboutObjective =
          error.field === 'objective' ||
          error.field === 'estimator' ||
          (error.field === 'samples' && takesArgument(el.objective.value));
        this.showObjectiveError(aboutObjective ? text : undefined);
        return { error: text };
      }
      throw error;
    }
  }

  /** The argument box is for an objective that takes one; a newly chosen one starts from a usable value. */
  showObjectiveFields(): void {
    const { el } = this;
    const name = el.objective.value;
    if (name !== this.objectiveShown) {
      el.objectiveArg.value = suggestedArgument(name);
      this.objectiveShown = name;
    }
    // Each objective has its own estimators: keep the chosen one where this objective offers it too.
    const offered = estimatorChoices(name);
    if (offered.map((c) => c.value).join() !== [...el.estimator.options].map((o) => o.value).join()) {
      const keep = estimatorFor(name, el.estimator.value);
      el.estimator.replaceChildren(
        ...offered.map((c) => {
          const option = new Option(c.text, c.value);
          option.title = c.summary;
          return option;
        }),
      );
      el.estimator.value = keep;
    }
    this.showEstimatorHint();
    const takes = takesArgument(name);
    if (!takes) el.objectiveArg.value = '';
    el.objectiveArg.placeholder = argumentPlaceholder(name);
    el.objectiveArg.disabled = !takes || el.objective.disabled;
  }

  private showEstimatorHint(): void {
    const { el } = this;
    const chosen = estimatorChoices(el.objective.value).find((c) => c.value === el.estimator.value);
    el.estimatorHint.textContent = chosen ? `${chosen.value}: ${chosen.summary}.` : '';
  }

  /** The inline error; `unparsed` marks the argument box itself as the culprit. */
  private showObjectiveError(text: string | undefined, unparsed = false): void {
    const { el } = this;
    el.objectiveError.textContent = text ?? '';
    el.objectiveError.hidden = text === undefined;
    el.objectiveArg.setAttribute('aria-invalid', String(unparsed));
  }

  /** Each family's own fields (FamilyDescriptor.options: the rank is lowrank's, the shape flow's). */
  showFamilyFields(): void {
    const reads = findFamily(this.el.family.value)?.options ?? [];
    const off = this.el.family.disabled;
    this.el.rank.disabled = !reads.includes('rank') || off;
    this.el.flowLayers.disabled = !reads.includes('flowLayers') || off;
    this.el.flowHidden.disabled = !reads.includes('flowHidden') || off;
  }

  /** The learning rate and the stopping rule are Adam's: a host optimizer (L-BFGS) has its own. */
  showOptimizerFields(): void {
    const gpuDriven = findOptimizer(this.el.optimizer.value)?.driver !== 'host';
    this.el.lr.disabled = !gpuDriven || this.el.optimizer.disabled;
    this.el.stop.disabled = !gpuDriven || this.el.optimizer.disabled;
  }

  setModelInfo(model: ModelDefinition): void {
    this.el.modelTitle.textContent = model.title;
  }

  setDataSource(text: string, fromFile: boolean): void {
    this.el.dataSource.textContent = text;
    this.el.clearData.hidden = !fromFile;
  }

  clearFileInput(): void {
    this.el.dataFile.value = '';
  }

  /** Settings are fixed while a fit runs: the engine was built with them. */
  setEditable(editable: boolean): void {
    const { el } = this;
    for (const input of [
      el.model,
      el.dataFile,
      el.clearData,
      el.family,
      el.rank,
      el.objective,
      el.objectiveArg,
      el.estimator,
      el.flowLayers,
      el.flowHidden,
      el.samples,
      el.lr,
      el.optimizer,
      el.stop,
      el.seed,
      el.maxSteps,
      el.diagnosticDraws,
      el.restarts,
    ]) {
      input.disabled = !editable;
    }
    if (editable) {
      this.showOptimizerFields();
      this.showFamilyFields();
      this.showObjectiveFields();
    }
  }
}
