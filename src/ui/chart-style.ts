/** Shared uPlot styling: colours are functions of the current theme, so a theme switch needs only a redraw. */
import type uPlot from 'uplot';
import { chartColors, type ChartColors } from './theme';

let colors: ChartColors | undefined;

/** The palette, read from CSS once per theme (call `refreshColors` when the theme changes). */
export function palette(): ChartColors {
  colors ??= chartColors();
  return colors;
}

export function refreshColors(): void {
  colors = chartColors();
}

const FONT = '12px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
const LABEL_FONT = '600 12px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';

export function axis(label: uPlot.Axis['label'], extra: Partial<uPlot.Axis> = {}): uPlot.Axis {
  return {
    label,
    font: FONT,
    labelFont: LABEL_FONT,
    stroke: () => palette().muted,
    grid: { stroke: () => palette().grid, width: 1 },
    ticks: { stroke: () => palette().grid, width: 1, size: 4 },
    ...extra,
  };
}

/** Keeps a uPlot instance the size of its container (whose height the CSS fixes). */
export function followSize(container: HTMLElement, plot: () => uPlot | undefined): ResizeObserver {
  const observer = new ResizeObserver(() => {
    const width = Math.floor(container.clientWidth);
    const height = Math.floor(container.clientHeight);
    const u = plot();
    if (u && width > 0 && height > 0 && (u.width !== width || u.height !== height)) {
      u.setSize({ width, height });
    }
  });
  observer.observe(container);
  return observer;
}
