/**
 * The settings form: model, data file, family, samples per step, learning rate, seed, step limit, the draws
 * of the final PSIS diagnostic.
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

export class Controls {
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
    selectValue(el.samples, settings.samples, sampleLabel);
    el.lr.value = String(settings.lr);
    el.optimizer.value = settings.optimizer;
    el.stop.value = settings.stop;
    this.showOptimizerFields();
    el.seed.value = String(settings.seed);
    el.maxSteps.value = String(settings.maxSteps);
    if (settings.diagnosticDraws === 'auto') el.diagnosticDraws.value = 'auto';
    else selectValue(el.diagnosticDraws, settings.diagnosticDraws, formatInteger);
  }

  /** The form's settings, checked by the engine's own rules so the message matches what the CLI says. */
  read(): { settings: UiSettings } | { error: string } {
    const { el } = this;
    const settings: UiSettings = {
      model: el.model.value,
      family: el.family.value as FamilyName,
      rank: el.rank.value === 'auto' ? 'auto' : Number(el.rank.value),
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
    };
    try {
      const { model: _model, ...fit } = settings;
      resolveSettings(fit);
      return { settings };
    } catch (error) {
      if (error instanceof SettingsError) {
        const label =
          { lr: 'Learning rate', seed: 'Seed', maxSteps: 'Maximum steps', stop: 'Stopping rule' }[
            error.field
          ] ?? error.field;
        return { error: `${label}: expected ${error.expected}.` };
      }
      throw error;
    }
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
      el.flowLayers,
      el.flowHidden,
      el.samples,
      el.lr,
      el.optimizer,
      el.stop,
      el.seed,
      el.maxSteps,
      el.diagnosticDraws,
    ]) {
      input.disabled = !editable;
    }
    if (editable) {
      this.showOptimizerFields();
      this.showFamilyFields();
    }
  }
}
