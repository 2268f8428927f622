/** The objectives by name (settings, --objective and the page read this registry). */
import { KL } from './kl';
import { IW, RENYI } from './weighted';
import type { ObjectiveDescriptor } from './types';

const OBJECTIVES = new Map<string, ObjectiveDescriptor>([KL, IW, RENYI].map((o) => [o.name, o]));

export function registerObjective(objective: ObjectiveDescriptor): void {
  if (OBJECTIVES.has(objective.name)) {
    throw new Error(`an objective named "${objective.name}" is already registered`);
  }
  OBJECTIVES.set(objective.name, objective);
}

export function objectiveNames(): string[] {
  return [...OBJECTIVES.keys()];
}

export function findObjective(name: string): ObjectiveDescriptor | undefined {
  return OBJECTIVES.get(name);
}

/**
 * The objective a setting names: "kl", or a name with its argument ("iw:8", "renyi:0.5:16"); what was
 * expected, as text, when the argument does not fit (undefined for an unknown name).
 */
export function resolveObjective(spec: string): ObjectiveDescriptor | string | undefined {
  const colon = spec.indexOf(':');
  const name = colon < 0 ? spec : spec.slice(0, colon);
  const argument = colon < 0 ? undefined : spec.slice(colon + 1);
  const objective = OBJECTIVES.get(name);
  if (!objective) return undefined;
  if (objective.configure) return objective.configure(argument);
  return argument === undefined ? objective : `"${name}" (it takes no argument)`;
}

export type { ObjectiveDescriptor } from './types';
