/**
 * Downloads: the FitResult as JSON (the same schema `webgpu-vi fit --out` writes), and draws from the final
 * q in CmdStan's variational CSV format (as `webgpu-vi fit --draws-csv` writes them: src/vi/draws-csv.ts).
 */
import { fitDrawsCsv } from '../vi/draws-csv';
import type { DensityDrawSet, FitResult } from '../vi/engine';

export function resultJson(result: FitResult): string {
  return `${JSON.stringify(result, null, 2)}\n`;
}

/** Stan CSV: `#` settings, `lp__,log_p__,log_g__,` and the dotted parameter names, q's mean row, the draws. */
export function drawsCsv(result: FitResult, draws: DensityDrawSet, dataFile?: string): string {
  return fitDrawsCsv(result, draws, dataFile !== undefined ? { dataFile } : {});
}

export function fileStem(result: FitResult): string {
  return `webgpu-vi-${result.model}-${result.family}-seed${result.seed}`;
}

export function download(filename: string, text: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  // The click has started the download; the URL can go once the browser has read it.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
