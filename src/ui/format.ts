/** Number formatting for the page: table cells stay plain numbers (machine-readable), readouts get units. */

/** Four significant digits, as a plain number (no grouping, exponent only for very large or small values). */
export function formatStat(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return '0';
  const abs = Math.abs(x);
  if (abs >= 1e6 || abs < 1e-4) return x.toExponential(3);
  return String(Number(x.toPrecision(4)));
}

const UNITS = ['', 'K', 'M', 'G', 'T'];

/** 16384 -> "16K", 1048576 -> "1M": powers of two named the way people say them. */
export function formatBinaryCount(n: number): string {
  let unit = 0;
  let value = n;
  while (value >= 1024 && value % 1024 === 0 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value}${UNITS[unit] ?? ''}`;
}

/** 12_345_678 -> "12.3 M". */
export function formatSi(x: number): string {
  if (!Number.isFinite(x)) return '—';
  let unit = 0;
  let value = x;
  while (Math.abs(value) >= 1000 && unit < UNITS.length - 1) {
    value /= 1000;
    unit++;
  }
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2;
  const suffix = unit === 0 ? '' : ` ${(UNITS[unit] ?? '').replace('K', 'k')}`;
  return `${value.toFixed(digits)}${suffix}`;
}

export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return '—';
  if (ms >= 100) return `${ms.toFixed(0)} ms`;
  if (ms >= 1) return `${ms.toFixed(2)} ms`;
  return `${(ms * 1000).toFixed(0)} µs`;
}

/** The status while the worker runs a pass over q's draws after the optimizer stopped (a FitPhase). */
export function finishingText(
  phase: { phase: 'summary' | 'diagnostics'; draws: number },
  steps: number,
): string {
  const what =
    phase.phase === 'summary'
      ? `summarising ${formatInteger(phase.draws)} draws of q`
      : `PSIS diagnostic over ${formatInteger(phase.draws)} draws of q`;
  return `The optimizer stopped after ${formatInteger(steps)} steps: ${what}…`;
}

export function formatInteger(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}
