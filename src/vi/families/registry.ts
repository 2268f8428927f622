/**
 * The variational families by name. Settings validation, the CLI's --family choices and help, the page's
 * option list and URL parsing all read this registry, so a new family is its descriptor, its WGSL and one
 * line here (or a registerFamily call from outside, as the tests do).
 */
import { FLOW } from './flow';
import { FULLRANK } from './fullrank';
import { LOWRANK } from './lowrank';
import { MEANFIELD } from './meanfield';
import type { FamilyDescriptor } from './types';

const FAMILIES = new Map<string, FamilyDescriptor>(
  [MEANFIELD, FULLRANK, LOWRANK, FLOW].map((f) => [f.name, f]),
);

export function registerFamily(family: FamilyDescriptor): void {
  if (FAMILIES.has(family.name)) throw new Error(`a family named "${family.name}" is already registered`);
  FAMILIES.set(family.name, family);
}

export function familyNames(): string[] {
  return [...FAMILIES.keys()];
}

export function findFamily(name: string): FamilyDescriptor | undefined {
  return FAMILIES.get(name);
}

export { familyConstants, type FamilyDescriptor, type FamilyOptions } from './types';
