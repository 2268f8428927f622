/** The optimizers by name (settings, --optimizer and the page read this registry). */
import { ADAM } from './adam';
import { LBFGS } from './lbfgs';
import type { OptimizerDescriptor } from './types';

const OPTIMIZERS = new Map<string, OptimizerDescriptor>([ADAM, LBFGS].map((o) => [o.name, o]));

export function registerOptimizer(optimizer: OptimizerDescriptor): void {
  if (OPTIMIZERS.has(optimizer.name)) {
    throw new Error(`an optimizer named "${optimizer.name}" is already registered`);
  }
  OPTIMIZERS.set(optimizer.name, optimizer);
}

export function optimizerNames(): string[] {
  return [...OPTIMIZERS.keys()];
}

export function findOptimizer(name: string): OptimizerDescriptor | undefined {
  return OPTIMIZERS.get(name);
}

export type { OptimizerDescriptor } from './types';
