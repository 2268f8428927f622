/** Plain-text output of the CLI: the progress line and the summary table. */
import type { FitPhase, FitResult, Progress } from '../vi/engine';

export function formatNumber(x: number, digits = 4): string {
  if (!Number.isFinite(x)) return String(x);
  const abs = Math.abs(x);
  if (abs !== 0 && (abs >= 1e5 || abs < 1e-3)) return x.toExponential(digits - 1);
  return x.toFixed(Math.max(0, digits - Math.max(1, Math.floor(Math.log10(abs || 1)) + 1)));
}

export function progressLine(p: Progress, bound = 'ELBO'): string {
  return (
    `step ${String(p.step + 1).padStart(6)}  ${bound} ${formatNumber(p.elbo, 6)} ± ${p.mcse.toPrecision(2)}` +
    `  |grad| ${formatNumber(p.gradNorm, 3)}  ${p.samplesPerSecond.toExponential(2)} samples/s` +
    (p.skipped > 0 ? `  skipped ${p.skipped}` : '') +
    (p.dropped > 0 ? `  dropped ${p.dropped} non-finite` : '')
  );
}

/** The line the CLI prints when the fit has stopped and a pass over many draws of q begins. */
export function phaseLine(p: FitPhase): string {
  return p.phase === 'summary'
    ? `summary: ${p.draws} draws of q`
    : `diagnostics: PSIS k-hat and corrected moments over ${p.draws} draws of q`;
}

/**
 * The summary table: q's mean, sd and quantiles of each parameter, and the PSIS-corrected mean and sd
 * beside them when k-hat says they may be used.
 */
export function summaryTable(result: FitResult): string {
  const { params } = result;
  // Pooled by resampling, the table is of the resample, and the corrected moments (of the best restart's q
  // alone) do not belong beside it: they stay in the result JSON.
  const pooled = result.pooled !== undefined && result.pooled.draws > 0;
  const corrected =
    result.diagnostics.corrected?.usable && !pooled ? result.diagnostics.corrected : undefined;
  const header = [
    'parameter',
    'mean',
    'sd',
    '5%',
    '50%',
    '95%',
    ...(corrected ? ['PSIS mean', 'PSIS sd'] : []),
  ];
  const rows = params.names.map((name, i) => [
    name,
    ...[params.mean, params.sd, params.q05, params.q50, params.q95]
      .concat(corrected ? [corrected.mean, corrected.sd] : [])
      .map((column) => formatNumber(column[i] ?? NaN)),
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, c) => (c === 0 ? cell.padEnd(widths[c] ?? 0) : cell.padStart(widths[c] ?? 0)))
      .join('  ');
  return [
    `${result.model} (${result.family}) on ${result.adapter}: ${result.message}`,
    `${result.bound} ${formatNumber(result.elbo.final, 6)}; ${result.steps} steps of ${result.settings.samples} samples; ` +
      `${result.timing.msPerStep.toFixed(2)} ms/step, ${result.timing.samplesPerSecond.toExponential(2)} samples/s`,
    ...(result.accuracy.startScale < 1
      ? [`q started from sd ${result.accuracy.startScale}: the bound was not finite in f32 at sd 1`]
      : []),
    ...restartLines(result),
    '',
    line(header),
    ...rows.map(line),
  ].join('\n');
}

/**
 * With restarts: one line each (its ELBO ± MCSE, how it stopped, its means), the reported one marked; the
 * table below is that one's.
 */
export function restartLines(result: FitResult): string[] {
  const { restarts, bestRestart, pooled } = result;
  if (!restarts) return pooled ? [pooledLine(pooled)] : [];
  return [
    pooled
      ? `${restarts.length} restarts; the summary is resampled from all of them (* the best final ${result.bound}):`
      : `${restarts.length} restarts; the summary is restart ${bestRestart ?? 0}'s (the best final ${result.bound}):`,
    ...restarts.map((r) => {
      const mcse = r.elboMcse === null ? '' : ` ± ${r.elboMcse.toPrecision(2)}`;
      const means = r.summary.names
        .slice(0, 4)
        .map((name, i) => `${name} ${formatNumber(r.summary.mean[i] ?? NaN)}`)
        .join(', ');
      const more = r.summary.names.length > 4 ? ', ...' : '';
      return (
        `${r.restart === bestRestart ? '*' : ' '} restart ${r.restart}: ${result.bound} ${formatNumber(r.elbo, 6)}${mcse}, ` +
        `${r.converged ? 'converged' : 'not converged'} (${r.stopReason}) after ${r.steps} steps; mean ${means}${more}` +
        (pooled ? `; weight ${formatNumber(pooled.restartWeights[r.restart] ?? NaN, 3)}` : '')
      );
    }),
    ...(pooled ? [pooledLine(pooled)] : []),
  ];
}

/** --pool resample: the pooled weights' k-hat and ESS, and what was resampled. */
function pooledLine(p: NonNullable<FitResult['pooled']>): string {
  if (p.draws === 0) return `pooled: no draw has a finite weight; the summary is the best restart's`;
  const khat = Number.isFinite(p.khat) ? p.khat.toFixed(2) : '∞';
  return (
    `pooled: ${p.draws} draws resampled from ${p.poolDraws} (${p.distinct} distinct); k̂ of the pooled ` +
    `weights ${khat} (${p.status === 'fitted' ? p.level : p.status}), ESS ${formatNumber(p.ess, 4)}`
  );
}

/** The PSIS diagnostic after the table: k-hat with its reading, the IW-ELBO and the weights' ESS. */
export function diagnosticLines(result: FitResult): string {
  const d = result.diagnostics;
  const pooled = result.pooled !== undefined && result.pooled.draws > 0;
  const of = result.bestRestart !== undefined ? `restart ${result.bestRestart}'s q` : 'q';
  const corrected = pooled
    ? `The PSIS-corrected summaries of ${of} are in the result JSON.`
    : d.corrected
      ? d.corrected.usable
        ? 'PSIS mean and sd: the PSIS-corrected summaries.'
        : "The PSIS-corrected summaries (in the result JSON) are as unreliable as q's."
      : '';
  return [
    `PSIS diagnostic from ${d.draws.toLocaleString('en-US')} draws of ${of} (${(d.ms / 1000).toFixed(1)} s): ${d.reading}`,
    `IW-ELBO ${formatNumber(d.iwElbo, 6)} (${result.bound} ${formatNumber(result.elbo.final, 6)}); ` +
      `ESS of the smoothed weights ${formatNumber(d.ess, 4)} of ${d.draws}. ${corrected}`.trimEnd(),
  ].join('\n');
}
