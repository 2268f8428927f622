/**
 * The page's objective choice and its joint of two parameters, end to end in headless Chromium on its
 * SwiftShader adapter: the objective's options come from the registry and it is kept in the URL, with an
 * inline error for a bad argument; a fit with the IW bound says so; the 2-D density of the chosen pair is
 * drawn live while a fit runs and from the final q after it.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { objectiveNames } from '../../src/vi/objectives/registry';
import {
  openPage,
  screenshot,
  startHarness,
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

const query = (page: Page, key: string): string | null => new URL(page.url()).searchParams.get(key);

/** What the joint plot says it shows (its data attributes). */
async function joint(page: Page): Promise<Record<string, string | undefined>> {
  return page.$eval('[data-testid="density-2d"]', (el) => ({ ...(el as HTMLElement).dataset }));
}

/** Types into a text field and commits it, as leaving the field does. */
async function fillAndCommit(page: Page, testid: string, value: string): Promise<void> {
  await page.fill(`[data-testid="${testid}"]`, value);
  await page.locator(`[data-testid="${testid}"]`).dispatchEvent('change');
}

describe('the objective and the joint of two parameters', () => {
  it('offers the registered objectives, keeps the choice in the URL and names a bad argument inline', async () => {
    const { page, errors } = await openPage(harness, '?model=eight-schools&samples=4096');
    await waitForAdapter(page);
    const options = await page.$$eval('[data-testid="objective"] option', (os) =>
      os.map((o) => (o as HTMLOptionElement).value),
    );
    expect(options).toEqual(objectiveNames());
    expect(await page.inputValue('[data-testid="objective"]')).toBe('kl');
    expect(await page.isEnabled('[data-testid="objective-arg"]')).toBe(false);
    await expect.poll(() => query(page, 'objective')).toBe('kl');

    // A weighted bound offers a usable K at once.
    await page.selectOption('[data-testid="objective"]', 'iw');
    await expect.poll(() => query(page, 'objective')).toBe('iw:8');
    expect(await page.inputValue('[data-testid="objective-arg"]')).toBe('8');
    expect(await page.isEnabled('[data-testid="objective-arg"]')).toBe(true);
    await expect.poll(() => page.textContent('[data-testid="bound"]')).toBe('IW bound (K = 8)');

    await fillAndCommit(page, 'objective-arg', '0');
    const error = page.locator('[data-testid="objective-error"]');
    await expect.poll(() => error.isVisible()).toBe(true);
    expect(await error.textContent()).toBe(
      'Objective "iw:0": expected "iw:K" with K an integer in [1, 4096].',
    );
    expect(await page.getAttribute('[data-testid="objective-arg"]', 'aria-invalid')).toBe('true');
    expect(await page.isEnabled('[data-testid="start"]')).toBe(false);
    // The last valid choice stays in the URL until the field is fixed.
    expect(query(page, 'objective')).toBe('iw:8');

    // K must divide the samples per step (4096): the same rule as the CLI's, shown under the objective.
    await fillAndCommit(page, 'objective-arg', '3');
    await expect.poll(() => error.textContent()).toContain('Samples per step: expected a multiple of 3');
    expect(await page.isEnabled('[data-testid="start"]')).toBe(false);

    await fillAndCommit(page, 'objective-arg', '16');
    await expect.poll(() => error.isVisible()).toBe(false);
    await expect.poll(() => query(page, 'objective')).toBe('iw:16');
    expect(await page.isEnabled('[data-testid="start"]')).toBe(true);

    // Each objective's own estimators; a family or optimizer an estimator does not go with is named inline.
    const estimators = () =>
      page.$$eval('[data-testid="estimator"] option', (os) => os.map((o) => (o as HTMLOptionElement).value));
    expect(await estimators()).toEqual(['entropy', 'dreg']);
    await page.selectOption('[data-testid="family"]', 'lowrank');
    await expect.poll(() => error.textContent()).toContain('use estimator "dreg"');
    await page.selectOption('[data-testid="estimator"]', 'dreg');
    await expect.poll(() => error.textContent()).toContain('needs a stochastic optimizer: optimizer "adam"');
    await page.selectOption('[data-testid="optimizer"]', 'adam');
    await expect.poll(() => error.isVisible()).toBe(false);
    expect(await page.isEnabled('[data-testid="start"]')).toBe(true);
    await expect.poll(() => query(page, 'estimator')).toBe('dreg');

    await page.reload();
    await waitForAdapter(page);
    expect(await page.inputValue('[data-testid="objective"]')).toBe('iw');
    expect(await page.inputValue('[data-testid="objective-arg"]')).toBe('16');
    expect(await page.inputValue('[data-testid="estimator"]')).toBe('dreg');
    // kl has no dreg: its default takes over.
    await page.selectOption('[data-testid="objective"]', 'kl');
    await expect.poll(estimators).toEqual(['entropy', 'stl']);
    expect(await page.inputValue('[data-testid="estimator"]')).toBe('entropy');
    await expect.poll(() => query(page, 'objective')).toBe('kl');

    // The pair: every parameter on both axes, the first two by default; no joint for a single parameter.
    const names = await page.$$eval('[data-testid="pair-x"] option', (os) => os.map((o) => o.textContent));
    expect(names).toEqual([...Array.from({ length: 8 }, (_, i) => `theta[${i + 1}]`), 'mu', 'tau']);
    expect(
      await page.$eval('[data-testid="pair-x"]', (s) => (s as HTMLSelectElement).selectedOptions[0]?.text),
    ).toBe('theta[1]');
    expect(
      await page.$eval('[data-testid="pair-y"]', (s) => (s as HTMLSelectElement).selectedOptions[0]?.text),
    ).toBe('theta[2]');
    expect(await page.isVisible('[data-testid="density-2d"]')).toBe(true);
    await page.selectOption('[data-testid="model"]', 'normal-mean');
    await expect.poll(() => page.isVisible('[data-testid="density-2d"]')).toBe(false);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('fits eight-schools with the IW bound, says so, and draws the joint of the chosen pair', async () => {
    const { page, errors } = await openPage(
      harness,
      '?model=eight-schools&samples=4096&maxSteps=150&objective=iw%3A8&diagnosticDraws=10000',
    );
    await waitForAdapter(page);
    expect(await page.inputValue('[data-testid="objective"]')).toBe('iw');
    await page.selectOption('[data-testid="pair-x"]', { label: 'mu' });
    await page.selectOption('[data-testid="pair-y"]', { label: 'tau' });
    await page.click('[data-testid="start"]');
    expect(['converged', 'stopped']).toContain(
      await waitForState(page, ['converged', 'stopped', 'diverged', 'error']),
    );
    await waitForFinalSummary(page);
    // The final q's 10,000 draws, less the trimmed tails, in the next animation frame.
    await expect.poll(async () => (await joint(page)).source).toBe('final');
    const shown = await joint(page);
    console.info(`[webgpu-vi e2e] joint: ${JSON.stringify(shown)}`);
    expect(shown).toMatchObject({ paramX: 'mu', paramY: 'tau' });
    expect(Number(shown.draws)).toBeGreaterThan(9000);
    expect(Number(shown.draws)).toBeLessThanOrEqual(10_000);
    expect(await page.textContent('#density-note')).toContain('of 10,000 draws of the final q');
    expect(await page.textContent('[data-testid="bound"]')).toBe('IW bound (K = 8)');
    expect(Number.isFinite(Number(await page.textContent('[data-testid="elbo"]')))).toBe(true);
    await screenshot(page, 'e2e-joint-eight-schools-iw');

    // Another pair redraws from the same draws.
    await page.selectOption('[data-testid="pair-x"]', { label: 'theta[1]' });
    await expect.poll(async () => (await joint(page)).paramX).toBe('theta[1]');
    expect((await joint(page)).paramY).toBe('tau');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('draws the joint live while a fit runs, and follows a change of pair', async () => {
    // logistic with a small learning rate runs long enough to watch (as the live k-hat test does).
    const { page, errors } = await openPage(
      harness,
      '?model=logistic&samples=1024&maxSteps=100000&optimizer=adam&lr=0.003&diagnosticDraws=10000',
    );
    await waitForAdapter(page);
    await page.click('[data-testid="start"]');
    await page.waitForSelector('[data-testid="density-2d"][data-source="live"]', { timeout: 90_000 });
    const live = await joint(page);
    expect(live).toMatchObject({ paramX: 'beta[1]', paramY: 'beta[2]' });
    // The worker's live draws (20,000), less the trimmed tails.
    expect(Number(live.draws)).toBeGreaterThan(0);
    expect(Number(live.draws)).toBeLessThanOrEqual(20_000);
    expect(await page.textContent('[data-testid="bound"]')).toBe('ELBO');
    await page.selectOption('[data-testid="pair-y"]', { label: 'beta[3]' });
    await expect.poll(async () => (await joint(page)).paramY).toBe('beta[3]');
    await screenshot(page, 'e2e-joint-live-logistic');
    await page.evaluate(() =>
      document.querySelector<HTMLButtonElement>('[data-testid="stop"]:enabled')?.click(),
    );
    expect(['stopped', 'converged']).toContain(
      await waitForState(page, ['stopped', 'converged', 'error'], 90_000),
    );
    await expect.poll(async () => (await joint(page)).source).toBe('final');
    expect(await joint(page)).toMatchObject({ paramX: 'beta[1]', paramY: 'beta[3]' });
    expect(errors).toEqual([]);
    await page.close();
  });
});
