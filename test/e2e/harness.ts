/**
 * The end-to-end harness: build the page with Vite, serve the build with `vite preview` on a free localhost
 * port, and drive Debian's Chromium (its SwiftShader WebGPU adapter) with playwright-core.
 * A missing Chromium is a failure with a message saying what to install, never a skip.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { build, preview, type PreviewServer } from 'vite';

export const ROOT = resolve(import.meta.dirname, '../..');
export const RESULTS = join(ROOT, 'test-results');
export const CHROMIUM = '/usr/bin/chromium';
/** The flags that give headless Chromium a WebGPU adapter on machines without a GPU (see DESIGN.md). */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--enable-unsafe-webgpu',
];

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

export interface Harness {
  readonly url: string;
  readonly context: BrowserContext;
  close(): Promise<void>;
}

export async function startHarness(): Promise<Harness> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `no Chromium at ${CHROMIUM}: install Debian's chromium package (npm test does so through ` +
        'scripts/ensure-webgpu.mjs when it runs as root)',
    );
  }
  mkdirSync(RESULTS, { recursive: true });
  // Its own output folder, so a developer's `npm run build` into dist/ is never clobbered.
  const outDir = join(RESULTS, 'e2e-dist');
  await build({ root: ROOT, mode: 'production', logLevel: 'error', build: { outDir, emptyOutDir: true } });
  const port = await freePort();
  let server: PreviewServer | undefined;
  let userDataDir: string | undefined;
  try {
    server = await preview({
      root: ROOT,
      logLevel: 'error',
      build: { outDir },
      preview: { host: '127.0.0.1', port, strictPort: true, open: false },
    });
    userDataDir = mkdtempSync(join(tmpdir(), 'webgpu-vi-e2e-'));
    const context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1280, height: 800 },
      acceptDownloads: true,
    });
    const openServer = server;
    const dir = userDataDir;
    return {
      url: `http://127.0.0.1:${port}/`,
      context,
      async close() {
        await context.close();
        await openServer.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await server?.close();
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
    throw error;
  }
}

export interface OpenPage {
  readonly page: Page;
  /** Console errors and uncaught exceptions seen on the page so far. */
  readonly errors: string[];
}

export async function openPage(harness: Harness, query = ''): Promise<OpenPage> {
  const page = await harness.context.newPage();
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => errors.push(`uncaught: ${error.message}`));
  await page.goto(`${harness.url}${query}`);
  return { page, errors };
}

/** Waits until the page has asked for its adapter; resolves with the adapter line's text. */
export async function waitForAdapter(page: Page): Promise<string> {
  await page.waitForFunction(() => document.getElementById('adapter')?.dataset.state !== 'pending', null, {
    timeout: 60_000,
  });
  return (await page.textContent('[data-testid="adapter"]')) ?? '';
}

export async function statusState(page: Page): Promise<string> {
  return (await page.getAttribute('[data-testid="status"]', 'data-state')) ?? '';
}

/** Waits until the status line's data-state is one of `states`. */
export async function waitForState(
  page: Page,
  states: readonly string[],
  timeout = 120_000,
): Promise<string> {
  await page.waitForFunction(
    (wanted) =>
      wanted.includes(document.querySelector<HTMLElement>('[data-testid="status"]')?.dataset.state ?? ''),
    states,
    { timeout },
  );
  return statusState(page);
}

/** Waits until the parameter table has drawn the fit's final summary (it draws in an animation frame). */
export async function waitForFinalSummary(page: Page): Promise<void> {
  await page.waitForSelector('[data-testid="param-table"][data-summary="final"]', { timeout: 30_000 });
}

export async function statValue(page: Page, param: string, stat: string): Promise<number> {
  const text = await page.textContent(
    `[data-testid="param-table"] tr[data-param="${param}"] td[data-stat="${stat}"]`,
  );
  return Number(text);
}

export async function stepCount(page: Page): Promise<number> {
  return Number(((await page.textContent('[data-testid="step"]')) ?? '').replaceAll(',', ''));
}

export async function screenshot(page: Page, name: string): Promise<string> {
  const path = join(RESULTS, `${name}.png`);
  // Let a scheduled animation frame land first, so the charts show what the page holds.
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  await page.screenshot({ path, fullPage: true });
  return path;
}
