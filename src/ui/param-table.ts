/**
 * Every reported parameter with q's mean, sd and 5/50/95% quantiles, updated live, next to the exact or
 * reference posterior where one is known. Cells hold plain numbers (data-stat names the column) so the
 * table can be read by scripts and tests as well as people. Clicking a row picks the histogram's parameter.
 */
import { formatStat } from './format';
import type { Comparison } from './histogram-chart';

export const STATS = ['mean', 'sd', 'q05', 'q50', 'q95'] as const;
export type StatName = (typeof STATS)[number];
export type StatColumns = Readonly<Record<StatName, ArrayLike<number>>>;

const HEADINGS: Record<StatName, string> = { mean: 'Mean', sd: 'SD', q05: '5%', q50: '50%', q95: '95%' };

export interface ComparisonColumns {
  readonly kind: Comparison['kind'];
  readonly mean: readonly number[];
  readonly sd: readonly number[];
}

export class ParamTable {
  private rows: HTMLTableRowElement[] = [];
  private selected = 0;

  constructor(
    private readonly table: HTMLTableElement,
    private readonly onSelect: (index: number) => void,
  ) {}

  /** Rebuilds the rows for a model's parameters; values show as dashes until the first summary. */
  setParams(names: readonly string[], comparison: ComparisonColumns | undefined): void {
    this.table.replaceChildren();
    const head = this.table.createTHead().insertRow();
    const cell = (text: string, title?: string): void => {
      const th = document.createElement('th');
      th.scope = 'col';
      th.textContent = text;
      if (title) th.title = title;
      head.append(th);
    };
    cell('Parameter');
    for (const stat of STATS) cell(HEADINGS[stat]);
    if (comparison) {
      cell(
        comparison.kind === 'exact' ? 'Exact' : 'Reference',
        comparison.kind === 'exact'
          ? 'Mean ± sd of the exact posterior (closed form: a conjugate model)'
          : "Mean ± sd of posteriordb's reference posterior (long NUTS runs)",
      );
    }
    const body = this.table.createTBody();
    this.rows = names.map((name, i) => {
      const row = body.insertRow();
      row.dataset.param = name;
      row.tabIndex = 0;
      const th = document.createElement('th');
      th.scope = 'row';
      th.textContent = name;
      row.append(th);
      for (const stat of STATS) {
        const td = row.insertCell();
        td.dataset.stat = stat;
        td.textContent = '—';
      }
      if (comparison) {
        const td = row.insertCell();
        td.dataset.stat = 'comparison';
        td.className = 'comparison';
        const mean = comparison.mean[i];
        const sd = comparison.sd[i];
        td.textContent =
          mean !== undefined && sd !== undefined ? `${formatStat(mean)} ± ${formatStat(sd)}` : '';
      }
      row.addEventListener('click', () => this.select(i, true));
      row.addEventListener('keydown', (event) => {
        if (event.key === 'Enter' || event.key === ' ') {
          event.preventDefault();
          this.select(i, true);
        }
      });
      return row;
    });
    this.select(Math.min(this.selected, Math.max(0, names.length - 1)), false);
  }

  update(values: StatColumns): void {
    this.rows.forEach((row, i) => {
      for (const stat of STATS) {
        const td = row.querySelector<HTMLTableCellElement>(`td[data-stat="${stat}"]`);
        const value = values[stat][i];
        if (td && value !== undefined) td.textContent = formatStat(value);
      }
    });
  }

  clearValues(): void {
    for (const td of this.table.querySelectorAll<HTMLTableCellElement>('tbody td[data-stat]')) {
      if (td.dataset.stat !== 'comparison') td.textContent = '—';
    }
  }

  select(index: number, notify: boolean): void {
    this.selected = index;
    this.rows.forEach((row, i) => row.setAttribute('aria-selected', String(i === index)));
    if (notify) this.onSelect(index);
  }
}
