/** The objectives by name (settings, --objective and the page read this registry). */
import { KL } from './kl';
import type { ObjectiveDescriptor } from './types';

const OBJECTIVES = new Map<string, ObjectiveDescriptor>([KL].map((o) => [o.name, o]));

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

export type { ObjectiveDescriptor } from './types';
