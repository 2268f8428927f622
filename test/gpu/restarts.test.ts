/**
 * --restarts K: K fits in one dispatch per step. A bimodal target (two well-separated normals, weights 0.3 and
 * 0.7) where one start finds one mode: the restarts find both, each restart's ELBO is the exact ELBO of its
 * Gaussian (float64 quadrature), and the pooled answer is the heavier mode. K = 1 is the fit without the
 * flag, and restart 0 of K = 4 follows the K = 1 trajectory bit for bit (it draws the same Philox stream
 * from the same start; the other restarts live in their own slots). --pool resample pools the modes by their
 * mass (importance resampling over every restart's draws) where best keeps one.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuContext } from '../../src/gpu/device';
import { linreg } from '../../src/models/linreg';
import { normalMean } from '../../src/models/normal-mean';
import { compileStan } from '../../src/stan/compile';
import { ViEngine, type FitResult, type StepMetrics } from '../../src/vi/engine';
import { findFamily } from '../../src/vi/families/registry';
import { restartStart } from '../../src/vi/restarts';
import type { FitSettings } from '../../src/vi/settings';
import { readStanCsv } from '../../src/vi/stan-csv';
import { cli } from './cli-run';
import { testDevice } from './gpu-context';

let ctx: GpuContext;
beforeAll(async () => {
  ctx = await testDevice();
});
afterAll(() => ctx?.device.destroy());

const WEIGHT = 0.3;
const MODE = 4;
const SD = 0.5;
const SOURCE = `parameters { real x; }
model { target += log_mix(${WEIGHT}, normal_lpdf(x | -${MODE}, ${SD}), normal_lpdf(x | ${MODE}, ${SD})); }`;

function mixtureModel() {
  const r = compileStan(SOURCE, { name: 'bimodal' });
  if ('diagnostics' in r) throw new Error(r.diagnostics.map((d) => d.message).join('\n'));
  return r.model;
}

/** log p(x): the normalised mixture (normal_lpdf keeps its constants, so the evidence is 1). */
function logP(x: number): number {
  const n = (mu: number) => Math.exp(-0.5 * ((x - mu) / SD) ** 2) / (SD * Math.sqrt(2 * Math.PI));
  return Math.log(WEIGHT * n(-MODE) + (1 - WEIGHT) * n(MODE));
}

/** The ELBO of q = N(m, s) in float64: E_q[log p] by the trapezoid rule over m ± 12 s, plus H[q]. */
function exactElbo(m: number, s: number): number {
  const n = 4000;
  const h = (24 * s) / n;
  let sum = 0;
  for (let i = 0; i <= n; i++) {
    const x = m - 12 * s + i * h;
    const q = Math.exp(-0.5 * ((x - m) / s) ** 2) / (s * Math.sqrt(2 * Math.PI));
    sum += (i === 0 || i === n ? 0.5 : 1) * q * logP(x);
  }
  return sum * h + 0.5 * Math.log(2 * Math.PI * Math.E * s * s);
}

const BASE: Partial<FitSettings> = {
  optimizer: 'adam',
  samples: 256,
  maxSteps: 1000,
  draws: 1000,
  diagnosticDraws: 1000,
  seed: 1,
};

async function fit(settings: Partial<FitSettings>): Promise<FitResult> {
  const model = mixtureModel();
  const engine = await ViEngine.create(ctx, model, {}, { ...BASE, ...settings });
  try {
    return await engine.fit();
  } finally {
    engine.destroy();
  }
}

describe('restarts on a bimodal target', () => {
  it('K = 4 finds both modes, each at its exact ELBO, and reports the heavier one', async () => {
    const result = await fit({ restarts: 4 });
    const restarts = result.restarts ?? [];
    expect(restarts).toHaveLength(4);
    // The best Gaussian at each mode: the components are 16 sds apart, so it is the component itself
    // (mean +-4, sd 0.5; its ELBO log w up to e^-30), and the fit lands within the optimum rule's tolSd
    // (0.01 sd) plus the noise of 256 samples per step.
    const modes = restarts.map((r) => Math.sign(r.lambda.mean[0] as number));
    expect(modes).toContain(1);
    expect(modes).toContain(-1);
    for (const r of restarts) {
      const m = r.lambda.mean[0] as number;
      const s = r.lambda.sd[0] as number;
      const exact = exactElbo(m, s);
      console.info(
        `[webgpu-vi] restart ${r.restart}: q = N(${m.toFixed(4)}, ${s.toFixed(4)}) after ${r.steps} steps ` +
          `(${r.stopReason}); ELBO ${r.elbo.toFixed(5)} ± ${r.elboMcse?.toFixed(5)}, exact ${exact.toFixed(5)}`,
      );
      expect(r.converged).toBe(true);
      expect(Math.abs(Math.abs(m) - MODE)).toBeLessThan(0.1 * SD);
      expect(Math.abs(s / SD - 1)).toBeLessThan(0.1);
      expect(r.elboMcse).toBeGreaterThan(0);
      expect(Math.abs(r.elbo - exact)).toBeLessThan(4 * (r.elboMcse as number));
      // The reported summary is of this restart's own q.
      expect(Math.sign(r.summary.mean[0] as number)).toBe(Math.sign(m));
      expect(r.trace.length).toBeGreaterThan(10);
    }
    // The exact ELBOs at the two modes differ by log(0.7 / 0.3) = 0.85, far above the estimates' noise:
    // the pooled answer is a restart at the heavier mode, the one with the best final ELBO.
    const best = result.bestRestart as number;
    expect(best).toBe(restarts.reduce((a, b) => (b.elbo > a.elbo ? b : a)).restart);
    expect(restarts[best]?.lambda.mean[0]).toBeGreaterThan(0);
    expect(result.lambda.mean).toEqual(restarts[best]?.lambda.mean);
    expect(result.elbo.final).toBe(restarts[best]?.elbo);
    expect(result.params.mean[0]).toBeGreaterThan(MODE - 0.1);
    expect(result.converged).toBe(true);
  });

  it('K = 1 is the fit without the flag; restart 0 of K = 4 follows the K = 1 trajectory; a seed repeats', async () => {
    const settings = { maxSteps: 300, samples: 256 };
    const plain = await fit(settings);
    const one = await fit({ ...settings, restarts: 1 });
    expect(one.elbo.trace).toEqual(plain.elbo.trace);
    expect(one.lambda.raw).toEqual(plain.lambda.raw);
    expect(one.restarts).toBeUndefined();
    expect(one.bestRestart).toBeUndefined();
    const four = await fit({ ...settings, restarts: 4 });
    const first = four.restarts?.[0];
    // Its own lr choice (--lr auto), its steps and its stopping rule: the same as alone.
    expect(first?.trace).toEqual(plain.elbo.trace);
    expect(first?.elbo).toBe(plain.elbo.final);
    expect(first?.stopReason).toBe(plain.stopReason);
    // The same seed gives the same K restarts, bit for bit.
    const again = await fit({ ...settings, restarts: 4 });
    expect(again.restarts).toEqual(four.restarts);
    expect(again.bestRestart).toBe(four.bestRestart);
  });

  it('runSteps: restart 0 of K = 4 matches K = 1 bit for bit; the others start apart and move', async () => {
    const run = async (restarts: number) => {
      const engine = await ViEngine.create(ctx, mixtureModel(), {}, { ...BASE, lr: 0.1, restarts });
      const metrics: StepMetrics[][] = [];
      await engine.runSteps(20, (_m, _v, all) => {
        all.forEach((batch, r) => (metrics[r] ??= []).push(...batch.metrics));
      });
      const lambda = await engine.readLambda();
      engine.destroy();
      return { metrics, lambda };
    };
    const one = await run(1);
    const four = await run(4);
    expect(four.metrics).toHaveLength(4);
    expect(four.metrics[0]).toEqual(one.metrics[0]);
    expect(Array.from(four.lambda)).toEqual(Array.from(one.lambda));
    // Restarts 1-3 start elsewhere and draw other noise: their ELBOs differ from restart 0's at every step.
    for (let r = 1; r < 4; r++) {
      const a = four.metrics[r] ?? [];
      expect(a).toHaveLength(20);
      expect(a.every((m, i) => m.elbo !== four.metrics[0]?.[i]?.elbo && Number.isFinite(m.elbo))).toBe(true);
    }
  });
});

describe('every family and a grouped objective keep restart 0 bit for bit', () => {
  // lambda's slot, the partials' (ACC_V4 = objective blocks + lambda blocks) and the metrics' differ in size
  // with the family and the objective: fullrank, lowrank and flow have slots wider than the 256-byte alignment
  // (flow on normal-mean, D = 1, whose kernels compile in a fraction of linreg's time: 114 lambda blocks).
  it.each([
    ['fullrank', 'kl', linreg],
    ['lowrank', 'kl', linreg],
    ['flow', 'kl', normalMean],
    ['meanfield', 'iw:4', linreg],
  ])('%s, %s', async (family, objective, model) => {
    const run = async (restarts: number) => {
      const engine = await ViEngine.create(ctx, model, model.defaultData(), {
        ...BASE,
        family,
        objective,
        lr: 0.05,
        restarts,
      });
      const metrics: StepMetrics[][] = [];
      await engine.runSteps(6, (_m, _v, all) => {
        all.forEach((batch, r) => (metrics[r] ??= []).push(...batch.metrics));
      });
      const lambdas = await Promise.all(
        Array.from({ length: restarts }, (_, r) => engine.readLambda(r).then((l) => Array.from(l))),
      );
      engine.destroy();
      return { metrics, lambdas };
    };
    const one = await run(1);
    const three = await run(3);
    expect(three.metrics[0]).toEqual(one.metrics[0]);
    expect(three.lambdas[0]).toEqual(one.lambdas[0]);
    for (const r of [1, 2]) {
      expect(three.metrics[r]?.every((m) => m.applied && Number.isFinite(m.elbo))).toBe(true);
      expect(three.lambdas[r]).not.toEqual(three.lambdas[0]);
      expect(three.lambdas[r]?.every(Number.isFinite)).toBe(true);
    }
  });
});

describe('--pool resample on the bimodal target', () => {
  it('pools both modes by their mass (0.3 / 0.7 with two restarts at each), while best keeps one', async () => {
    // Seed 7 starts restarts 1-3 at means 1.81, -1.42 and -1.84 (restart 0 at 0, which the heavier mode
    // pulls to +4): two restarts at each mode. Pooling weighs each restart's draws by p / q_k under its own
    // q_k, so a mode's share is (restarts there) x (its mass); with two at each it is its mass.
    const settings = { restarts: 4, seed: 7, draws: 2000 };
    const resampled = await fit({ ...settings, pool: 'resample' });
    const best = await fit(settings);
    // Pooling changes no fit.
    expect(resampled.restarts).toEqual(best.restarts);
    expect(resampled.bestRestart).toBe(best.bestRestart);
    expect(resampled.lambda).toEqual(best.lambda);
    expect(resampled.pool).toBe('resample');
    expect(best.pool).toBe('best');
    expect(best.pooled).toBeUndefined();
    const restarts = resampled.restarts ?? [];
    const signs = restarts.map((r) => Math.sign(r.lambda.mean[0] as number));
    for (const r of restarts) expect(Math.abs(Math.abs(r.lambda.mean[0] as number) - MODE)).toBeLessThan(0.1);
    expect(signs.filter((x) => x < 0)).toHaveLength(2);
    // Each restart's q is its component to within the fit's noise, so its share of the pooled weight is its
    // mode's mass over the sum of the restarts' modes' masses: 0.3 / 2 and 0.7 / 2.
    const pooled = resampled.pooled;
    if (!pooled) throw new Error('no pooled report');
    console.info(`[webgpu-vi] pooled: ${JSON.stringify(pooled)}`);
    expect(pooled.method).toBe('resample');
    expect(pooled.perRestart).toBe(2000);
    expect(pooled.poolDraws).toBe(8000);
    expect(pooled.draws).toBe(2000);
    restarts.forEach((r, k) => {
      const share = (signs[k] as number) < 0 ? WEIGHT / 2 : (1 - WEIGHT) / 2;
      expect(Math.abs((pooled.restartWeights[k] as number) - share)).toBeLessThan(0.02);
    });
    expect(pooled.ess).toBeGreaterThan(0.5 * 8000);
    expect(Number.isNaN(pooled.khat)).toBe(false);
    // The resampled summary: 2000 draws, a fraction ~ Binomial(2000, 0.3) / 2000 of them at -4 (sd 0.0102);
    // the mixture's mean is 0.3 (-4) + 0.7 (4) = 1.6 and moves by 8 per unit of that fraction, its sd is
    // sqrt(0.25 + 16 - 1.6^2) = 3.70.
    const n = 2000;
    const fracSd = Math.sqrt((WEIGHT * (1 - WEIGHT)) / n);
    const mean = resampled.params.mean[0] as number;
    expect(Math.abs(mean - (WEIGHT * -MODE + (1 - WEIGHT) * MODE))).toBeLessThan(4 * 8 * fracSd);
    expect(Math.abs((resampled.params.sd[0] as number) - Math.sqrt(SD * SD + 16 - 1.6 ** 2))).toBeLessThan(
      0.15,
    );
    // q05 is in the light mode, q95 in the heavy one; best's table is the heavy mode's alone.
    expect(resampled.params.q05[0]).toBeLessThan(-MODE + 1);
    expect(resampled.params.q95[0]).toBeGreaterThan(MODE - 1);
    expect(best.params.q05[0]).toBeGreaterThan(MODE - 1);
    expect(Math.abs((best.params.mean[0] as number) - MODE)).toBeLessThan(0.1);
  });

  it("writes the resampled draws: the summary's, with log p the target's", async () => {
    const engine = await ViEngine.create(
      ctx,
      mixtureModel(),
      {},
      {
        ...BASE,
        restarts: 4,
        seed: 7,
        draws: 2000,
        pool: 'resample',
      },
    );
    try {
      const result = await engine.fit();
      const draws = await engine.drawsWithDensities(2000);
      const xs = Array.from({ length: draws.count }, (_, i) => draws.values[i * draws.stride] as number);
      // The same rows the summary holds, in the same order: the same f64 mean of the same f32 values.
      expect(xs.reduce((a, b) => a + b, 0) / xs.length).toBe(result.params.mean[0]);
      const light = xs.filter((x) => x < 0).length / xs.length;
      expect(Math.abs(light - WEIGHT)).toBeLessThan(4 * Math.sqrt((WEIGHT * (1 - WEIGHT)) / 2000));
      // log p of every draw against the float64 mixture (f32 rounding of values near -3.5).
      xs.forEach((x, i) =>
        expect(Math.abs((draws.logP[i] as number) - logP(x))).toBeLessThan(1e-4 * (1 + Math.abs(logP(x)))),
      );
      // A longer resample starts with these draws.
      const more = await engine.drawsWithDensities(3000);
      expect(Array.from(more.values.subarray(0, 2000 * draws.stride))).toEqual(Array.from(draws.values));
    } finally {
      engine.destroy();
    }
  });

  it.each([[['--pool', 'mixture'], /setting "pool": expected "best" or "resample", got "mixture"/]])(
    'the CLI refuses %j with exit status 2 and a message naming it',
    (args, message) => {
      const run = cli('fit', ...args);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(message);
    },
  );
});

describe('a restart that goes bad', () => {
  it('diverges alone: the others follow their own trajectory and the pooled answer passes over it', async () => {
    const settings = { ...BASE, lr: 0.1, maxSteps: 120 };
    const alone = await ViEngine.create(ctx, mixtureModel(), {}, settings);
    const single = await alone.fit();
    alone.destroy();
    const engine = await ViEngine.create(ctx, mixtureModel(), {}, { ...settings, restarts: 3 });
    // Restart 1's lambda is NaN from the start (a lambda gone bad): every one of its steps is refused.
    const bad = await engine.readLambda(1);
    bad.fill(Number.NaN);
    engine.writeLambda(bad, 1);
    const result = await engine.fit();
    engine.destroy();
    const [first, broken, third] = result.restarts ?? [];
    expect(broken?.stopReason).toBe('diverged');
    expect(broken?.trace).toEqual([]);
    expect(first?.trace).toEqual(single.elbo.trace);
    expect(first?.stopReason).toBe(single.stopReason);
    expect(third?.trace.length).toBeGreaterThan(50);
    expect(third?.trace.every(([, elbo]) => Number.isFinite(elbo))).toBe(true);
    expect(result.bestRestart).not.toBe(1);
    expect(result.params.mean.every(Number.isFinite)).toBe(true);
  });
});

describe('webgpu-vi fit --restarts', () => {
  const dir = mkdtempSync(join(tmpdir(), 'webgpu-vi-restarts-'));
  // The heavier mode (0.8) far from restart 0's start at 0, the lighter one (0.2) near it: restart 0 finds
  // the lighter one, and the pooled answer must be another restart's.
  const model = join(dir, 'far.stan');
  writeFileSync(
    model,
    'parameters { real x; }\nmodel { target += log_mix(0.2, normal_lpdf(x | -1, 0.5), normal_lpdf(x | 3, 0.5)); }\n',
  );
  const data = join(dir, 'empty.json');
  writeFileSync(data, '{}');

  it('prints a line per restart, writes them to the JSON and draws from the best one', () => {
    // The first seed whose random starts put one restart well on the heavier mode's side.
    const meanfield = findFamily('meanfield');
    if (!meanfield) throw new Error('meanfield');
    let seed = 1;
    while (![1, 2, 3].some((k) => (restartStart(meanfield, 1, seed, k)[0] as number) > 1.5)) seed++;
    const out = join(dir, 'result.json');
    const csvPath = join(dir, 'draws.csv');
    const run = cli(
      'fit',
      ...['--model', model, '--data', data, '--optimizer', 'adam', '--restarts', '4', '--seed', String(seed)],
      ...['--samples', '256', '--steps', '1000', '--draws', '1000', '--diagnostic-draws', '1000'],
      ...['--out', out, '--draws-csv', csvPath, '--quiet'],
    );
    console.info(`[webgpu-vi cli] seed ${seed}\n${run.stdout}`);
    expect(run.code, run.stderr).toBe(0);
    const result = JSON.parse(readFileSync(out, 'utf8')) as FitResult;
    const restarts = result.restarts ?? [];
    expect(restarts).toHaveLength(4);
    const best = result.bestRestart as number;
    expect(run.stdout).toContain(`4 restarts; the summary is restart ${best}'s (the best final ELBO):`);
    for (const r of restarts) {
      expect(run.stdout).toMatch(
        new RegExp(
          `^${r.restart === best ? '\\*' : ' '} restart ${r.restart}: ELBO \\S+ ± \\S+, (not )?converged`,
          'm',
        ),
      );
    }
    // Restart 0 is at the lighter mode (x = -1), the reported one at the heavier (x = 3).
    expect(Math.abs((restarts[0]?.lambda.mean[0] as number) + 1)).toBeLessThan(0.1);
    expect(best).not.toBe(0);
    expect(Math.abs((restarts[best]?.lambda.mean[0] as number) - 3)).toBeLessThan(0.1);
    expect(result.elbo.final).toBeGreaterThan(restarts[0]?.elbo as number);
    expect(result.settings.restarts).toBe(4);
    // The table and the draws are the best restart's.
    expect(Math.abs((result.params.mean[0] as number) - 3)).toBeLessThan(0.1);
    const csv = readStanCsv(readFileSync(csvPath, 'utf8'));
    expect(Math.fround(csv.rows[0]?.[3] as number)).toBe(Math.fround(result.lambda.mean[0] as number));
    const draws = csv.rows.slice(1).map((row) => row[3] as number);
    expect(Math.abs(draws.reduce((a, b) => a + b, 0) / draws.length - 3)).toBeLessThan(0.1);
  });

  it("--pool resample prints each restart's weight and the pooled k-hat, and writes the resample", () => {
    const mix = join(dir, 'mix.stan');
    writeFileSync(mix, SOURCE);
    const out = join(dir, 'pooled.json');
    const csvPath = join(dir, 'pooled.csv');
    const run = cli(
      'fit',
      ...['--model', mix, '--data', data, '--restarts', '4', '--seed', '7', '--pool', 'resample'],
      ...['--samples', '256', '--steps', '1000', '--draws', '2000', '--diagnostic-draws', '1000'],
      ...['--out', out, '--draws-csv', csvPath, '--quiet'],
    );
    console.info(`[webgpu-vi cli] --pool resample\n${run.stdout}`);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(
      '4 restarts; the summary is resampled from all of them (* the best final ELBO):',
    );
    expect(run.stdout).toMatch(
      /^pooled: 2000 draws resampled from 8000 \(\d+ distinct\); k̂ of the pooled weights /m,
    );
    // Two restarts at each mode (the test above): weights 0.35, 0.35, 0.15, 0.15 to two digits.
    const weights = [...run.stdout.matchAll(/; weight (\S+)$/gm)].map((m) => Number(m[1])).sort();
    expect(weights).toEqual([0.15, 0.15, 0.35, 0.35]);
    expect(run.stdout).not.toContain('PSIS mean');
    const result = JSON.parse(readFileSync(out, 'utf8')) as FitResult;
    expect(result.pool).toBe('resample');
    expect(result.settings.pool).toBe('resample');
    expect(result.pooled?.draws).toBe(2000);
    // The CSV's draws are the resample: a Binomial(2000, 0.3) fraction below 0 (sd 0.0102).
    const csv = readStanCsv(readFileSync(csvPath, 'utf8'));
    const draws = csv.rows.slice(1).map((row) => row[3] as number);
    expect(draws).toHaveLength(2000);
    const light = draws.filter((x) => x < 0).length / draws.length;
    expect(Math.abs(light - WEIGHT)).toBeLessThan(4 * Math.sqrt((WEIGHT * (1 - WEIGHT)) / 2000));
    expect(draws.reduce((a, b) => a + b, 0) / draws.length).toBeCloseTo(result.params.mean[0] as number, 5);
  });

  it.each([
    [['--restarts', '0'], /setting "restarts": expected an integer in \[1, 16\], got 0/],
    [['--restarts', 'x'], /--restarts: expected an integer, got "x"/],
    [['--restarts', '2', '--optimizer', 'lbfgs'], /setting "restarts": expected 1 with optimizer "lbfgs"/],
  ])('refuses %j with exit status 2 and a message naming it', (args, message) => {
    const run = cli('fit', ...args);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
  });
});
