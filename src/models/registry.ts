/** The built-in models, by name. */
import { eightSchools } from './eight-schools';
import { hmm } from './hmm';
import { linreg } from './linreg';
import { logistic } from './logistic';
import { normalMean } from './normal-mean';
import type { ModelDefinition } from './types';

const MODELS: readonly ModelDefinition[] = [normalMean, linreg, logistic, eightSchools, hmm];

export const MODEL_NAMES: readonly string[] = MODELS.map((m) => m.name);

export class UnknownModelError extends Error {
  override name = 'UnknownModelError';
}

export function getModel(name: string): ModelDefinition {
  const model = MODELS.find((m) => m.name === name);
  if (!model)
    throw new UnknownModelError(`unknown model "${name}": expected one of ${MODEL_NAMES.join(', ')}`);
  return model;
}
