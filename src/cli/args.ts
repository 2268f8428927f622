/** `webgpu-vi fit` flags: parsing and checking, with errors that name the flag and what it expects. */
import { parseArgs } from 'node:util';
import type { FitSettings } from '../vi/settings';

export class UsageError extends Error {
  override name = 'UsageError';
}

export interface FitCommand {
  readonly model: string;
  readonly dataPath?: string;
  readonly out?: string;
  readonly settings: Partial<FitSettings>;
  readonly quiet: boolean;
}

export const HELP = `webgpu-vi fit — black-box variational inference on the GPU (WebGPU through Dawn)

Usage:
  webgpu-vi fit --model NAME [--data FILE.json] [options]
  npm run fit -- --model NAME [--data FILE.json] [options]      (from a clone)

Options:
  --model NAME          built-in model: normal-mean, linreg, logistic, eight-schools, hmm   (default normal-mean)
  --data FILE           data in Stan's JSON format (default: the model's built-in data)
  --family F            meanfield | fullrank                                              (default meanfield)
  --samples N           Monte Carlo samples of q per step, 1 to 16777216                  (default 16384)
  --steps N             maximum optimizer steps                                           (default 2000)
  --lr X                Adam learning rate, > 0                                           (default 0.05)
  --seed N              random seed; the same seed, data and settings on the same adapter give bitwise-identical results (default 1)
  --tol X               Stan's relative ELBO tolerance                                    (default 0.01)
  --estimator E         entropy (closed-form entropy) | stl (sticking the landing)       (default entropy)
  --clip X              clip the gradient norm to X (0: off)                              (default 0)
  --draws N             draws from q for the summaries, >= 1000                           (default 100000)
  --out FILE            write the result JSON there
  --quiet               no progress on stderr
  --help                this text

Output: progress on stderr (step, ELBO ± its Monte Carlo standard error, gradient norm, samples/s); a summary
table (mean, sd, 5/50/95% quantiles of each parameter on the constrained space) on stdout.
Result JSON (--out): {model, family, seed, adapter, settings, steps, converged, stopReason, message,
  elbo: {trace: [[step, elbo, mcse], ...], final}, params: {names, mean, sd, q05, q50, q95}, histograms,
  lambda: {mean, sd, raw}, timing: {msPerStep, samplesPerSecond}}
stopReason: relative-tolerance-mean | relative-tolerance-median | mcse | max-steps | diverged | stopped.
Exit status: 0 converged or reached --steps; 1 GPU or other failure; 2 bad flags, settings, model or data
(the message names the field and what was expected); 3 diverged.`;

function number(flag: string, raw: string | undefined, integer: boolean): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || (integer && !Number.isInteger(value))) {
    throw new UsageError(`--${flag}: expected ${integer ? 'an integer' : 'a number'}, got "${raw}"`);
  }
  return value;
}

export function parseFitArgs(argv: readonly string[]): FitCommand | 'help' {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') return 'help';
  if (command !== 'fit') throw new UsageError(`unknown command "${command}": expected "fit" (see --help)`);
  let parsed;
  try {
    parsed = parseArgs({
      args: rest,
      options: {
        model: { type: 'string' },
        data: { type: 'string' },
        family: { type: 'string' },
        samples: { type: 'string' },
        steps: { type: 'string' },
        lr: { type: 'string' },
        seed: { type: 'string' },
        tol: { type: 'string' },
        estimator: { type: 'string' },
        clip: { type: 'string' },
        draws: { type: 'string' },
        out: { type: 'string' },
        quiet: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (error) {
    throw new UsageError(`${(error as Error).message} (see --help)`);
  }
  const v = parsed.values;
  if (v.help) return 'help';
  const settings: Record<string, unknown> = {
    family: v.family,
    samples: number('samples', v.samples, true),
    maxSteps: number('steps', v.steps, true),
    lr: number('lr', v.lr, false),
    seed: number('seed', v.seed, true),
    tol: number('tol', v.tol, false),
    estimator: v.estimator,
    clip: number('clip', v.clip, false),
    draws: number('draws', v.draws, true),
  };
  for (const key of Object.keys(settings)) if (settings[key] === undefined) delete settings[key];
  return {
    model: v.model ?? 'normal-mean',
    ...(v.data !== undefined ? { dataPath: v.data } : {}),
    ...(v.out !== undefined ? { out: v.out } : {}),
    settings: settings as Partial<FitSettings>,
    quiet: v.quiet ?? false,
  };
}
