/**
 * Downloads: the FitResult as JSON (the same schema `webgpu-vi fit --out` writes), and draws from the final
 * q as CSV (one row per draw, one column per parameter, constrained scale).
 */
import type { DrawSet, FitResult } from '../vi/engine';

export function resultJson(result: FitResult): string {
  return `${JSON.stringify(result, null, 2)}\n`;
}

function csvField(value: string | number): string {
  const text = String(value);
  return /[",\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** A header of parameter names, then one row per draw. */
export function drawsCsv(draws: DrawSet): string {
  const lines = [draws.names.map(csvField).join(',')];
  for (let i = 0; i < draws.count; i++) {
    const row = draws.names.map((_, j) => String(draws.values[i * draws.stride + j]));
    lines.push(row.join(','));
  }
  return `${lines.join('\n')}\n`;
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
