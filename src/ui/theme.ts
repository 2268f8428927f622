/**
 * Light and dark themes: the system's preference by default, or the user's choice (kept in localStorage).
 * The effective theme is always written to <html data-theme>, "auto" resolved here, so the CSS keeps one
 * dark palette (:root[data-theme='dark']). Charts read the palette from the custom properties, since
 * canvas cannot use CSS variables.
 */

export type ThemeChoice = 'auto' | 'light' | 'dark';

const STORAGE_KEY = 'webgpu-vi:theme';
const ORDER: readonly ThemeChoice[] = ['auto', 'light', 'dark'];

export interface ChartColors {
  readonly text: string;
  readonly muted: string;
  readonly grid: string;
  readonly line: string;
  readonly band: string;
  readonly bar: string;
  readonly barEdge: string;
  readonly exact: string;
  readonly reference: string;
  readonly referenceBand: string;
  /** The k-hat levels' colours (good, usable with care, unreliable). */
  readonly ok: string;
  readonly warn: string;
  readonly danger: string;
}

function readChoice(): ThemeChoice {
  try {
    const stored = localStorage.getItem(STORAGE_KEY);
    return stored === 'light' || stored === 'dark' ? stored : 'auto';
  } catch {
    return 'auto'; // storage can be disabled; the theme still works, it is just not remembered
  }
}

function saveChoice(choice: ThemeChoice): void {
  try {
    if (choice === 'auto') localStorage.removeItem(STORAGE_KEY);
    else localStorage.setItem(STORAGE_KEY, choice);
  } catch {
    // not remembered; nothing else to do
  }
}

export function chartColors(): ChartColors {
  const style = getComputedStyle(document.documentElement);
  const v = (name: string): string => style.getPropertyValue(name).trim();
  return {
    text: v('--text'),
    muted: v('--muted'),
    grid: v('--grid'),
    line: v('--accent'),
    band: v('--accent-soft'),
    bar: v('--bar'),
    barEdge: v('--bar-edge'),
    exact: v('--exact'),
    reference: v('--reference'),
    referenceBand: v('--reference-soft'),
    ok: v('--ok'),
    warn: v('--warn'),
    danger: v('--danger'),
  };
}

/** Wires the toggle button; `onChange` runs whenever the effective theme may have changed. */
export function initTheme(button: HTMLButtonElement, onChange: () => void): void {
  let choice = readChoice();
  const systemDark = window.matchMedia('(prefers-color-scheme: dark)');
  const apply = (): void => {
    document.documentElement.dataset.theme =
      choice === 'auto' ? (systemDark.matches ? 'dark' : 'light') : choice;
    const label = choice === 'auto' ? 'Auto' : choice === 'light' ? 'Light' : 'Dark';
    button.textContent = `Theme: ${label}`;
    button.title = 'Switch between the system theme, light and dark';
    onChange();
  };
  button.addEventListener('click', () => {
    choice = ORDER[(ORDER.indexOf(choice) + 1) % ORDER.length] ?? 'auto';
    saveChoice(choice);
    apply();
  });
  systemDark.addEventListener('change', () => {
    if (choice === 'auto') apply();
  });
  apply();
}
