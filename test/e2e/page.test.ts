/**
 * The page, end to end, in headless Chromium on its SwiftShader WebGPU adapter: load, fit to convergence,
 * live charts and table, pause/resume/stop, bad data, switching models, failures and their recovery.
 * Small sample counts keep the whole file to about a minute on a 2-core machine.
 */
import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalMean } from '../../src/models/normal-mean';
import { MODEL_NAMES } from '../../src/models/registry';
import { CPU_ADAPTER } from '../../src/gpu/device';
import { readStanCsv } from '../../src/vi/stan-csv';
import {
  openPage,
  screenshot,
  startHarness,
  statusState,
  statValue,
  stepCount,
  waitForAdapter,
  waitForFinalSummary,
  waitForState,
  type Harness,
} from './harness';

let harness: Harness;

beforeAll(async () => {
  harness = await startHarness();
}, 180_000);

afterAll(async () => {
  await harness?.close();
});

const SMALL = '?model=normal-mean&samples=4096';

/** Presses Start and waits until the page shows a finished step (the fit is really running). */
async function startAndWaitForFirstStep(page: Page): Promise<void> {
  await page.click('[data-testid="start"]');
  await page.waitForFunction(
    () => Number(document.querySelector('[data-testid="step"]')?.textContent) > 0,
    null,
    { timeout: 90_000 },
  );
}

describe('the page', () => {
  it('loads and reports a SwiftShader adapter', async () => {
    const { page, errors } = await openPage(harness, SMALL);
    const adapter = await waitForAdapter(page);
    console.info(`[webgpu-vi e2e] ${adapter.trim()}`);
    expect(adapter).toMatch(/swiftshader/i);
    expect(await waitForState(page, ['ready'], 10_000)).toBe('ready');
    const options = await page.$$eval('[data-testid="model"] option', (os) =>
      os.map((o) => (o as HTMLOptionElement).value),
    );
    expect(options).toEqual([...MODEL_NAMES, 'stan']);
    expect(await page.isEnabled('[data-testid="start"]')).toBe(true);
    await screenshot(page, 'e2e-ready');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('fits normal-mean to convergence: the ELBO rises and q matches the exact posterior', async () => {
    const exact = normalMean.prepare(normalMean.defaultData()).exact;
    if (!exact) throw new Error('normal-mean has no exact posterior');
    const [mean, sd] = [exact.mean[0] as number, exact.sd[0] as number];
    const { page, errors } = await openPage(harness, SMALL);
    await waitForAdapter(page);
    // Every text the status line shows, recorded as it changes (the passes after the optimizer are brief here).
    await page.evaluate(() => {
      const line = document.querySelector('[data-testid="status"]') as HTMLElement;
      const log: string[] = [];
      (window as unknown as { statusLog: string[] }).statusLog = log;
      new MutationObserver(() => log.push(line.textContent ?? '')).observe(line, {
        childList: true,
        characterData: true,
        subtree: true,
      });
    });
    const t0 = performance.now();
    await page.click('[data-testid="start"]');
    expect(await waitForState(page, ['converged', 'stopped', 'diverged', 'error'])).toBe('converged');
    const shown = await page.evaluate(() => (window as unknown as { statusLog: string[] }).statusLog);
    expect(
      shown.some((t) =>
        /The optimizer stopped after \d+ steps: PSIS diagnostic over [\d,]+ draws of q/.test(t),
      ),
    ).toBe(true);
    const status = (await page.textContent('[data-testid="status"]')) ?? '';
    console.info(`[webgpu-vi e2e] ${status.trim()} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
    expect(status).toContain('converged');
    // Both exports are ready the moment the fit shows as finished (the draws reach the page before the result).
    expect(await page.isEnabled('[data-testid="export-json"]')).toBe(true);
    expect(await page.isEnabled('[data-testid="export-csv"]')).toBe(true);
    // How close it got: the rule and its error estimates, shown with the result.
    expect(await page.isVisible('[data-testid="accuracy"]')).toBe(true);
    expect(await page.textContent('[data-testid="accuracy"]')).toMatch(
      /L-BFGS on fixed samples.*fixed samples: 0\.0\d+ sd/,
    );
    // The chart, histogram and table draw the final state in the next animation frame.
    await waitForFinalSummary(page);
    const chart = () =>
      page.$eval('[data-testid="elbo-chart"]', (el) => ({ ...(el as HTMLElement).dataset }));
    // The default optimizer (L-BFGS on fixed samples) converges in tens of evaluations, each a point.
    await expect.poll(async () => Number((await chart()).points)).toBeGreaterThan(5);
    const drawn = await chart();
    expect(Number(drawn.lastElbo)).toBeGreaterThan(Number(drawn.firstElbo));
    expect(await page.$$('[data-testid="elbo-chart"] canvas')).toHaveLength(1);
    await expect
      .poll(async () => Number(await page.getAttribute('[data-testid="histogram"]', 'data-bins')))
      .toBeGreaterThan(10);

    const qMean = await statValue(page, 'z', 'mean');
    const qSd = await statValue(page, 'z', 'sd');
    console.info(`[webgpu-vi e2e] z: q mean ${qMean}, sd ${qSd}; exact ${mean.toFixed(4)}, ${sd.toFixed(4)}`);
    expect(Math.abs(qMean - mean)).toBeLessThan(0.1 * sd);
    expect(Math.abs(qSd - sd) / sd).toBeLessThan(0.1);
    for (const s of ['q05', 'q50', 'q95']) expect(Number.isFinite(await statValue(page, 'z', s))).toBe(true);
    expect(await statValue(page, 'z', 'q05')).toBeLessThan(await statValue(page, 'z', 'q95'));
    await screenshot(page, 'e2e-converged');

    // The result JSON is the CLI's FitResult.
    const download = page.waitForEvent('download');
    await page.click('[data-testid="export-json"]');
    const saved = await (await download).path();
    const result = JSON.parse(readFileSync(saved, 'utf8')) as Record<string, unknown>;
    expect(result).toMatchObject({ model: 'normal-mean', converged: true, params: { names: ['z'] } });
    expect(Object.keys(result)).toEqual(
      expect.arrayContaining([
        'adapter',
        'settings',
        'steps',
        'stopReason',
        'elbo',
        'histograms',
        'lambda',
        'timing',
      ]),
    );

    // "Did it work?": the final k-hat is good for this exact q. Its draws are the default's ('auto'):
    // 10^5 on a CPU adapter such as SwiftShader, 10^6 on a GPU.
    const khatDraws = CPU_ADAPTER.test(String(result.adapter)) ? 100_000 : 1_000_000;
    await page.waitForSelector('[data-testid="khat"][data-source="final"]', { timeout: 30_000 });
    const khatText = (await page.textContent('[data-testid="khat"]')) ?? '';
    console.info(`[webgpu-vi e2e] final k-hat ${khatText}: ${await page.textContent('#khat-reading')}`);
    expect(Number(khatText)).toBeLessThan(0.5);
    expect(await page.getAttribute('[data-testid="khat"]', 'data-level')).toBe('good');
    expect(await page.textContent('#khat-reading')).toContain(`${khatDraws.toLocaleString('en-US')} draws`);
    expect(
      Number(await page.getAttribute('[data-testid="khat-chart"]', 'data-points')),
    ).toBeGreaterThanOrEqual(1);
    expect(result.diagnostics).toMatchObject({ level: 'good', draws: khatDraws });

    const csvDownload = page.waitForEvent('download');
    await page.click('[data-testid="export-csv"]');
    const text = readFileSync(await (await csvDownload).path(), 'utf8');
    // CmdStan's variational CSV, read as Stan's: config comments, header, q's mean, then 10,000 draws whose
    // mean and sd match the exact posterior.
    const stan = readStanCsv(text);
    expect(stan.config).toMatchObject({
      method: 'variational',
      algorithm: 'meanfield',
      output_samples: '10000',
    });
    expect(stan.header).toEqual(['lp__', 'log_p__', 'log_g__', 'z']);
    expect(stan.rows).toHaveLength(10_001);
    expect(Array.from(stan.rows[0]!).slice(0, 3)).toEqual([0, 0, 0]);
    expect(Math.abs(stan.rows[0]![3]! - mean)).toBeLessThan(0.1 * sd);
    const rows = stan.rows.slice(1);
    expect(rows.every((row) => row[0] === 0 && row[1]! < 0 && row[2]! <= 0)).toBe(true);
    const draws = rows.map((row) => row[3]!);
    const drawMean = draws.reduce((a, b) => a + b, 0) / draws.length;
    const drawSd = Math.sqrt(draws.reduce((a, b) => a + (b - drawMean) ** 2, 0) / (draws.length - 1));
    expect(Math.abs(drawMean - mean)).toBeLessThan(0.1 * sd);
    expect(Math.abs(drawSd / sd - 1)).toBeLessThan(0.1);

    // The same run in the dark theme and on a phone-sized screen.
    await page.click('#theme-toggle'); // auto -> light
    await page.click('#theme-toggle'); // light -> dark
    await expect.poll(() => page.getAttribute('html', 'data-theme')).toBe('dark');
    await screenshot(page, 'e2e-converged-dark');
    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, 'e2e-narrow-dark');
    await page.click('#theme-toggle'); // back to auto for the other tests (the choice is remembered)
    expect(errors).toEqual([]);
    await page.close();
  });

  it('pauses, resumes and stops a fit', async () => {
    // logistic (N = 1000 rows per sample) takes long enough to catch it running.
    const { page, errors } = await openPage(
      harness,
      '?model=logistic&samples=1024&maxSteps=100000&optimizer=adam&lr=0.05&diagnosticDraws=10000',
    );
    await waitForAdapter(page);
    await startAndWaitForFirstStep(page);
    await page.click('[data-testid="pause"]');
    await expect.poll(() => page.textContent('[data-testid="pause"]')).toBe('Resume');
    // "paused" once the steps already submitted to the GPU have finished.
    expect(await waitForState(page, ['paused'], 30_000)).toBe('paused');
    const status = (await page.textContent('[data-testid="status"]')) ?? '';
    const pausedAt = Number(/Paused at step ([\d,]+)/.exec(status)?.[1]?.replaceAll(',', ''));
    expect(pausedAt).toBeGreaterThan(0);
    // The readout catches up in its next animation frame; the engine has taken exactly those steps, and
    // after another round trip to the worker still has: nothing was submitted while paused.
    await expect.poll(() => stepCount(page)).toBe(pausedAt);
    expect(await page.evaluate(() => window.webgpuViTest?.engineSteps())).toBe(pausedAt);
    expect(await page.evaluate(() => window.webgpuViTest?.engineSteps())).toBe(pausedAt);
    expect(await stepCount(page)).toBe(pausedAt);
    await screenshot(page, 'e2e-paused-logistic');

    await page.click('[data-testid="pause"]'); // Resume
    await page.waitForFunction(
      (n) => Number(document.querySelector('[data-testid="step"]')?.textContent?.replaceAll(',', '')) > n,
      pausedAt,
      { timeout: 30_000 },
    );
    expect(await statusState(page)).toBe('running');
    await page.click('[data-testid="stop"]');
    expect(await waitForState(page, ['stopped', 'converged', 'error'], 60_000)).toBe('stopped');
    expect(await page.textContent('[data-testid="status"]')).toContain('stopped');
    // Stopped runs keep their summary: a row per coefficient (D = 10), with numbers.
    await waitForFinalSummary(page);
    expect(await page.$$('[data-testid="param-table"] tbody tr')).toHaveLength(10);
    expect(Number.isFinite(await statValue(page, 'beta[1]', 'mean'))).toBe(true);
    await screenshot(page, 'e2e-stopped-logistic');

    await page.click('[data-testid="reset"]');
    expect(await waitForState(page, ['ready'], 10_000)).toBe('ready');
    // The chart and table clear in the next animation frame.
    await expect.poll(() => page.getAttribute('[data-testid="elbo-chart"]', 'data-points')).toBe('0');
    await expect.poll(() => page.textContent('tr[data-param="beta[1]"] td[data-stat="mean"]')).toBe('—');
    expect(await page.isEnabled('[data-testid="export-json"]')).toBe(false);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('shows k-hat live while the fit runs, colour-coded with its reading, then the final one', async () => {
    const { page, errors } = await openPage(
      harness,
      // A small learning rate: the fit runs long enough for a few live diagnoses.
      '?model=logistic&samples=1024&maxSteps=100000&optimizer=adam&lr=0.003&diagnosticDraws=10000',
    );
    await waitForAdapter(page);
    await startAndWaitForFirstStep(page);
    // The worker diagnoses q every few seconds during the fit (fewer draws than at the end).
    await page.waitForSelector('[data-testid="khat"][data-source="live"]', { timeout: 90_000 });
    // One snapshot of what the page shows (the fit goes on meanwhile): the number, its level and colour.
    const shown = await page.evaluate(() => {
      const el = document.querySelector<HTMLElement>('[data-testid="khat"]');
      const level = el?.dataset.level ?? '';
      const variable = { good: '--ok', ok: '--warn', bad: '--danger' }[level] ?? '--muted';
      const probe = document.createElement('span');
      probe.style.color = getComputedStyle(document.documentElement).getPropertyValue(variable);
      document.body.append(probe);
      const expected = getComputedStyle(probe).color;
      probe.remove();
      return {
        text: el?.textContent ?? '',
        level,
        source: el?.dataset.source,
        colour: el ? getComputedStyle(el).color : '',
        expected,
        reading: document.getElementById('khat-reading')?.textContent ?? '',
      };
    });
    console.info(`[webgpu-vi e2e] live k-hat ${shown.text} (${shown.level}): ${shown.reading}`);
    const live = Number(shown.text);
    expect(shown.source).toBe('live');
    expect(Number.isFinite(live)).toBe(true);
    // A small k-hat with an ESS under 10 % of the draws (q still far wider, early in the fit) reads as "ok".
    const lowEss = shown.reading.includes('but the ESS is');
    expect(shown.level).toBe(live < 0.5 ? (lowEss ? 'ok' : 'good') : live <= 0.7 ? 'ok' : 'bad');
    expect(shown.colour).toBe(shown.expected);
    expect(shown.reading).toMatch(/^k̂ = .*draws of q at step [\d,]+ \(live\)\.$/);
    await screenshot(page, 'e2e-khat-live');
    // The fit may converge meanwhile; if not, stop it: either way the final k-hat follows.
    await page.evaluate(() =>
      document.querySelector<HTMLButtonElement>('[data-testid="stop"]:enabled')?.click(),
    );
    expect(['stopped', 'converged']).toContain(
      await waitForState(page, ['stopped', 'converged', 'error'], 90_000),
    );
    await page.waitForSelector('[data-testid="khat"][data-source="final"]', { timeout: 30_000 });
    expect(await page.textContent('#khat-reading')).toContain('10,000 draws');
    expect(['good', 'ok', 'bad']).toContain(await page.getAttribute('[data-testid="khat"]', 'data-level'));
    // The chart holds the live point(s) and the final one.
    expect(
      Number(await page.getAttribute('[data-testid="khat-chart"]', 'data-points')),
    ).toBeGreaterThanOrEqual(2);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('names the field when a data file is bad, and says when it is not JSON', async () => {
    const { page, errors } = await openPage(harness, SMALL);
    await waitForAdapter(page);
    await page.setInputFiles('[data-testid="data-file"]', {
      name: 'missing-y.json',
      mimeType: 'application/json',
      buffer: Buffer.from(JSON.stringify({ N: 3, sigma: 1, mu0: 0, tau0: 10 })),
    });
    await waitForState(page, ['error'], 10_000);
    const status = (await page.textContent('[data-testid="status"]')) ?? '';
    expect(status).toContain('data field "y"');
    expect(status).toContain('missing-y.json');
    expect(await page.isEnabled('[data-testid="start"]')).toBe(false);
    await screenshot(page, 'e2e-bad-data');

    await page.setInputFiles('[data-testid="data-file"]', {
      name: 'broken.json',
      mimeType: 'application/json',
      buffer: Buffer.from('{"N": 3, "y": [1, 2,'),
    });
    await page.waitForFunction(() =>
      document.querySelector('[data-testid="status"]')?.textContent?.includes('broken.json'),
    );
    expect(await page.textContent('[data-testid="status"]')).toContain('not valid JSON');

    // A good file is accepted and its exact posterior replaces the built-in one.
    await page.setInputFiles('[data-testid="data-file"]', {
      name: 'good.json',
      mimeType: 'application/json',
      buffer: Buffer.from(JSON.stringify({ N: 3, y: [4, 5, 6], sigma: 1, mu0: 0, tau0: 10 })),
    });
    await waitForState(page, ['ready'], 10_000);
    await expect
      .poll(() => page.textContent('[data-testid="param-table"] td[data-stat="comparison"]'))
      .toMatch(/^4\.98\d* ± 0\.57/);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('switches models, keeps the settings in the URL, and shows a reference posterior', async () => {
    const { page, errors } = await openPage(harness, SMALL);
    await waitForAdapter(page);
    await page.selectOption('[data-testid="model"]', 'eight-schools');
    const params = () =>
      page.$$eval('[data-testid="param-table"] tbody tr', (rows) =>
        rows.map((r) => (r as HTMLElement).dataset.param),
      );
    await expect.poll(params).toEqual(expect.arrayContaining(['theta[1]', 'theta[8]', 'mu', 'tau']));
    await page.fill('[data-testid="max-steps"]', '150');
    await page.fill('[data-testid="seed"]', '7');
    await page.locator('[data-testid="seed"]').dispatchEvent('change');
    await page.locator('[data-testid="max-steps"]').dispatchEvent('change');
    const query = (key: string) => new URL(page.url()).searchParams.get(key);
    await expect.poll(() => query('seed')).toBe('7');
    await expect.poll(() => query('maxSteps')).toBe('150');
    expect(query('model')).toBe('eight-schools');

    await page.reload();
    await waitForAdapter(page);
    expect(await page.inputValue('[data-testid="model"]')).toBe('eight-schools');
    expect(await page.inputValue('[data-testid="max-steps"]')).toBe('150');
    expect(await page.inputValue('[data-testid="seed"]')).toBe('7');
    expect(await page.inputValue('[data-testid="samples"]')).toBe('4096');

    await page.click('[data-testid="start"]');
    const end = await waitForState(page, ['converged', 'stopped', 'diverged', 'error']);
    expect(['converged', 'stopped']).toContain(end);
    await page.click('[data-testid="param-table"] tr[data-param="mu"]');
    // The histogram redraws in the next animation frame.
    await expect.poll(() => page.getAttribute('[data-testid="histogram"]', 'data-param')).toBe('mu');
    await expect.poll(() => page.textContent('#histogram-note')).toContain('reference posterior');
    await screenshot(page, 'e2e-eight-schools');

    await page.selectOption('[data-testid="model"]', 'normal-mean');
    await expect
      .poll(() => page.$$eval('[data-testid="param-table"] tbody tr', (rows) => rows.length))
      .toBe(1);
    await expect.poll(() => page.getAttribute('[data-testid="elbo-chart"]', 'data-points')).toBe('0');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('says which browsers work when there is no WebGPU', async () => {
    const page = await harness.context.newPage();
    await page.addInitScript(() => {
      delete (Navigator.prototype as { gpu?: unknown }).gpu;
    });
    await page.goto(harness.url);
    await waitForState(page, ['unavailable'], 30_000);
    const status = (await page.textContent('[data-testid="status"]')) ?? '';
    expect(status).toContain('no WebGPU');
    expect(status).toContain('--enable-unsafe-webgpu');
    expect(await page.isEnabled('[data-testid="start"]')).toBe(false);
    await screenshot(page, 'e2e-no-webgpu');
    await page.close();
  });

  it('offers Restart when the device is lost or the worker fails, and recovers', async () => {
    const { page, errors } = await openPage(
      harness,
      '?model=logistic&samples=1024&maxSteps=100000&optimizer=adam&lr=0.05&diagnosticDraws=10000',
    );
    await waitForAdapter(page);
    // Lost in the middle of a fit: the worst time, with submits in flight.
    await startAndWaitForFirstStep(page);
    await page.evaluate(() => window.webgpuViTest?.loseDevice());
    await waitForState(page, ['error'], 30_000);
    expect(await page.textContent('[data-testid="status"]')).toMatch(/device lost/i);
    expect(await page.isVisible('[data-testid="restart"]')).toBe(true);
    expect(await page.isEnabled('[data-testid="start"]')).toBe(false);
    await screenshot(page, 'e2e-device-lost');
    await page.click('[data-testid="restart"]');
    await waitForState(page, ['ready'], 60_000);
    expect(await page.isVisible('[data-testid="restart"]')).toBe(false);

    await page.evaluate(() => window.webgpuViTest?.crashWorker());
    await waitForState(page, ['error'], 30_000);
    expect(await page.textContent('[data-testid="status"]')).toContain("The engine's worker failed");
    await page.click('[data-testid="restart"]');
    await waitForState(page, ['ready'], 60_000);
    // The simulated crash is the only error allowed here.
    expect(errors.filter((e) => !e.includes('simulated worker crash'))).toEqual([]);
    await page.close();
  });
});
