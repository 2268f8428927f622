/**
 * The objective as the page edits it: a registered name from a select and its argument in a text box
 * ("iw" and "8" make "iw:8"). Checking goes through the registry's own parser (resolveObjective, the one
 * `--objective` and the settings use), so the page accepts exactly what the CLI accepts and says the same.
 */
import { findObjective, objectiveNames, resolveObjective } from '../vi/objectives/registry';

/** A first argument to offer when the user picks an objective that needs one (the box stays editable). */
const SUGGESTED_ARGUMENTS: Readonly<Record<string, string>> = { iw: '8', renyi: '0.5' };

export interface ObjectiveParts {
  readonly name: string;
  /** What follows the first colon ('' for none): "8" for "iw:8", "0.5:16" for "renyi:0.5:16". */
  readonly argument: string;
}

export function splitObjective(spec: string): ObjectiveParts {
  const colon = spec.indexOf(':');
  return colon < 0
    ? { name: spec, argument: '' }
    : { name: spec.slice(0, colon), argument: spec.slice(colon + 1) };
}

/** The setting's spelling: the name alone when the argument is empty. */
export function joinObjective(name: string, argument: string): string {
  const arg = argument.trim();
  return arg === '' ? name : `${name}:${arg}`;
}

/** Whether the objective takes an argument ("iw", "renyi"; not "kl"). */
export function takesArgument(name: string): boolean {
  return findObjective(name)?.configure !== undefined;
}

/** The argument's placeholder from the registry's usage: "K" for "iw:K", "ALPHA[:K]" for "renyi:ALPHA[:K]". */
export function argumentPlaceholder(name: string): string {
  const usage = findObjective(name)?.usage ?? '';
  const colon = usage.indexOf(':');
  return colon < 0 ? '' : usage.slice(colon + 1);
}

export function suggestedArgument(name: string): string {
  return SUGGESTED_ARGUMENTS[name] ?? '';
}

/** The select's choices, from the registry (value: the name; text: its title). */
export function objectiveChoices(): { value: string; text: string }[] {
  return objectiveNames().map((name) => ({ value: name, text: findObjective(name)?.title ?? name }));
}

/** An objective's gradient estimators (its registry entry's; the first is its default), with what each is. */
export function estimatorChoices(name: string): { value: string; text: string; summary: string }[] {
  return (findObjective(name)?.estimators ?? []).map((e) => ({
    value: e.name,
    text: e.name,
    summary: e.summary,
  }));
}

/** The estimator to keep for an objective: the one given if the objective offers it, else its default. */
export function estimatorFor(objectiveName: string, estimator: string): string {
  const names = estimatorChoices(objectiveName).map((c) => c.value);
  return names.includes(estimator) ? estimator : (names[0] ?? estimator);
}

/** The bound a valid spelling names ("ELBO", "IW bound (K = 8)"), or why it is not valid, in a sentence. */
export function checkObjective(spec: string): { bound: string } | { error: string } {
  const resolved = resolveObjective(spec);
  if (resolved === undefined) {
    const spellings = objectiveNames().map((n) => findObjective(n)?.usage ?? n);
    return { error: `Objective "${spec}": expected one of ${spellings.join(', ')}.` };
  }
  if (typeof resolved === 'string') return { error: `Objective "${spec}": expected ${resolved}.` };
  return { bound: resolved.boundName };
}
