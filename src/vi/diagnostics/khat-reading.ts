/**
 * What a PSIS k-hat says about a variational approximation, in the words the CLI and the page show.
 * Thresholds from Yao, Vehtari, Simpson & Gelman (2018), "Yes, but did it work?": below 0.5 q is close
 * to the posterior; 0.5 to 0.7 it is usable, and PSIS-corrected summaries improve on q's; above 0.7 the
 * importance ratios' tail is too heavy for either to be trusted.
 */
import type { KhatStatus } from './psis';

export type KhatLevel = 'good' | 'ok' | 'bad' | 'unknown';

export interface KhatReading {
  readonly level: KhatLevel;
  /** A short label: "good", "usable with care", "unreliable", "not estimated". */
  readonly label: string;
  /** One sentence for the CLI (stderr above 0.7) and the page, k-hat included. */
  readonly sentence: string;
}

export const KHAT_GOOD = 0.5;
export const KHAT_USABLE = 0.7;
/**
 * Below this share of the draws, the smoothed weights' ESS says q is far wider than the posterior (or off
 * centre) even where k-hat is small: bounded weights with most of the mass on a few draws. Then q's own
 * summaries overstate the spread while the PSIS-corrected ones are sound. A q at the posterior keeps over 90 %.
 */
export const LOW_ESS_SHARE = 0.1;

/** Two decimals, or three next to a threshold so that "0.70 > 0.7" cannot appear. */
function formatKhat(khat: number): string {
  if (!Number.isFinite(khat)) return '∞';
  const nearThreshold = [KHAT_GOOD, KHAT_USABLE].some((t) => Math.abs(khat - t) < 0.005);
  return khat.toFixed(nearThreshold ? 3 : 2);
}

/**
 * Reads k-hat. `status` (from psis / psisFromTail) explains an infinite k-hat: a constant tail means the
 * largest weights are equal (bounded ratios: importance sampling is safe), a short tail or no finite draw
 * means nothing could be estimated, and a failed or infinite fit is read as unreliable. `essShare` (the
 * smoothed weights' ESS over the draws) turns a good reading into "usable with care" below LOW_ESS_SHARE.
 */
export function readKhat(khat: number, status: KhatStatus = 'fitted', essShare = 1): KhatReading {
  const reading = readTail(khat, status);
  if (reading.level !== 'good' || !(essShare < LOW_ESS_SHARE)) return reading;
  const percent = `${(100 * essShare).toPrecision(2)} %`;
  const shown = status === 'constant-tail' ? 'bounded weights' : `k̂ = ${formatKhat(khat)} < ${KHAT_GOOD}`;
  return {
    level: 'ok',
    label: 'usable with care',
    sentence:
      `${shown}, but the ESS is ${percent} of the draws: q is much wider than the posterior or off centre, ` +
      'so its summaries are not; prefer the PSIS-corrected ones.',
  };
}

function readTail(khat: number, status: KhatStatus): KhatReading {
  switch (status) {
    case 'constant-tail':
      return {
        level: 'good',
        label: 'good',
        sentence:
          'k̂ not needed: the largest importance ratios are all equal (bounded weights), so q covers the posterior’s tail.',
      };
    case 'tail-too-short':
      return {
        level: 'unknown',
        label: 'not estimated',
        sentence: 'k̂ not estimated: too few draws for a Pareto fit (at least 25 are needed).',
      };
    case 'no-finite-draws':
      return {
        level: 'unknown',
        label: 'not estimated',
        sentence: 'k̂ not estimated: no draw from q has a finite log density under the model.',
      };
    case 'fit-failed':
      return {
        level: 'bad',
        label: 'unreliable',
        sentence:
          'k̂ could not be fitted (many of the largest importance ratios are tied): treat q’s summaries as unreliable.',
      };
    case 'fitted':
      break;
  }
  const shown = formatKhat(khat);
  if (khat < KHAT_GOOD) {
    return {
      level: 'good',
      label: 'good',
      sentence: `k̂ = ${shown} < ${KHAT_GOOD}: q is close to the posterior; its summaries can be trusted.`,
    };
  }
  if (khat <= KHAT_USABLE) {
    return {
      level: 'ok',
      label: 'usable with care',
      sentence: `k̂ = ${shown} in [${KHAT_GOOD}, ${KHAT_USABLE}]: q is usable with care; prefer the PSIS-corrected summaries.`,
    };
  }
  return {
    level: 'bad',
    label: 'unreliable',
    sentence: `k̂ = ${shown} > ${KHAT_USABLE}: q is unreliable; its summaries (and the PSIS-corrected ones) may be far off.`,
  };
}
