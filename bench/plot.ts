/**
 * A small SVG plot with no dependencies: samples per second against samples per step (both log scale), one
 * panel per workload, one line per system (and tfjs backend).
 */

export interface PlotPoint {
  readonly workload: string;
  readonly series: string;
  readonly samplesPerStep: number;
  readonly samplesPerSecond: number;
}

const COLORS: Readonly<Record<string, string>> = {
  'webgpu-vi': '#d62728',
  numpy: '#1f77b4',
  webppl: '#2ca02c',
  'tfjs (webgpu)': '#9467bd',
  'tfjs (cpu)': '#ff7f0e',
};
const FALLBACK = ['#8c564b', '#e377c2', '#7f7f7f', '#17becf'];

const PANEL_W = 360;
const PANEL_H = 280;
const MARGIN = { left: 64, right: 16, top: 40, bottom: 48 };

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function throughputSvg(points: readonly PlotPoint[], title: string): string {
  const workloads = [...new Set(points.map((p) => p.workload))];
  const seriesNames = [...new Set(points.map((p) => p.series))];
  const color = (name: string): string =>
    COLORS[name] ?? (FALLBACK[seriesNames.indexOf(name) % FALLBACK.length] as string);
  const width = workloads.length * (PANEL_W + MARGIN.left + MARGIN.right);
  const legendH = 28;
  const height = PANEL_H + MARGIN.top + MARGIN.bottom + legendH + 24;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${width / 2}" y="18" text-anchor="middle" font-size="14" font-weight="bold">${escapeXml(title)}</text>`,
  ];
  workloads.forEach((workload, w) => {
    const own = points.filter((p) => p.workload === workload && p.samplesPerSecond > 0);
    if (own.length === 0) return;
    const x0 = w * (PANEL_W + MARGIN.left + MARGIN.right) + MARGIN.left;
    const y0 = MARGIN.top + 24;
    const lx = own.map((p) => Math.log2(p.samplesPerStep));
    const ly = own.map((p) => Math.log10(p.samplesPerSecond));
    // One size only: centre it in a two-unit range.
    const single = Math.min(...lx) === Math.max(...lx);
    const xMin = Math.floor(Math.min(...lx)) - (single ? 1 : 0);
    const xMax = Math.max(Math.ceil(Math.max(...lx)), xMin + 1) + (single ? 1 : 0);
    const yMin = Math.floor(Math.min(...ly));
    const yMax = Math.max(Math.ceil(Math.max(...ly)), yMin + 1);
    const sx = (v: number): number => x0 + ((v - xMin) / (xMax - xMin)) * PANEL_W;
    const sy = (v: number): number => y0 + PANEL_H - ((v - yMin) / (yMax - yMin)) * PANEL_H;
    out.push(
      `<text x="${x0 + PANEL_W / 2}" y="${y0 - 8}" text-anchor="middle" font-weight="bold">${escapeXml(workload)}</text>`,
      `<rect x="${x0}" y="${y0}" width="${PANEL_W}" height="${PANEL_H}" fill="none" stroke="#444"/>`,
    );
    for (let e = yMin; e <= yMax; e++) {
      const y = sy(e).toFixed(1);
      out.push(
        `<line x1="${x0}" x2="${x0 + PANEL_W}" y1="${y}" y2="${y}" stroke="#ddd"/>`,
        `<text x="${x0 - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">1e${e}</text>`,
      );
    }
    const xStep = xMax - xMin > 8 ? 2 : 1;
    for (let e = xMin; e <= xMax; e += xStep) {
      const x = sx(e).toFixed(1);
      out.push(
        `<line x1="${x}" x2="${x}" y1="${y0}" y2="${y0 + PANEL_H}" stroke="#eee"/>`,
        `<text x="${x}" y="${y0 + PANEL_H + 16}" text-anchor="middle">2^${e}</text>`,
      );
    }
    out.push(
      `<text x="${x0 + PANEL_W / 2}" y="${y0 + PANEL_H + 36}" text-anchor="middle">samples per step</text>`,
      `<text transform="translate(${x0 - 48} ${y0 + PANEL_H / 2}) rotate(-90)" text-anchor="middle">samples / s</text>`,
    );
    for (const name of seriesNames) {
      const line = own
        .filter((p) => p.series === name)
        .sort((a, b) => a.samplesPerStep - b.samplesPerStep)
        .map((p) => [sx(Math.log2(p.samplesPerStep)), sy(Math.log10(p.samplesPerSecond))] as const);
      if (line.length === 0) continue;
      const c = color(name);
      if (line.length > 1) {
        const d = line.map(([x, y], i) => `${i === 0 ? 'M' : 'L'}${x.toFixed(1)},${y.toFixed(1)}`).join(' ');
        out.push(`<path d="${d}" fill="none" stroke="${c}" stroke-width="2"/>`);
      }
      for (const [x, y] of line) {
        out.push(`<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="3.5" fill="${c}"/>`);
      }
    }
  });
  const legendY = height - legendH / 2 - 4;
  let lx = MARGIN.left;
  for (const name of seriesNames) {
    out.push(
      `<line x1="${lx}" x2="${lx + 24}" y1="${legendY}" y2="${legendY}" stroke="${color(name)}" stroke-width="3"/>`,
      `<text x="${lx + 30}" y="${legendY}" dominant-baseline="middle">${escapeXml(name)}</text>`,
    );
    lx += 44 + name.length * 7.5;
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
