/**
 * `webgpu-vi fit` flags: one table declares each flag (its setting, its kind, its help), and the parser,
 * the help text and the choices (families, objectives, optimizers, models: read from their registries)
 * all come from it. Errors name the flag and what it expects.
 */
import { parseArgs } from 'node:util';
import { MODEL_NAMES } from '../models/registry';
import { MAX_FLOW_HIDDEN, MAX_FLOW_LAYERS } from '../vi/families/flow';
import { familyNames, findFamily } from '../vi/families/registry';
import { findObjective, objectiveNames } from '../vi/objectives/registry';
import { findOptimizer, optimizerNames } from '../vi/optimizers/registry';
import { POOL_METHODS } from '../vi/restarts';
import {
  DEFAULT_SETTINGS,
  MAX_DIAGNOSTIC_DRAWS,
  MAX_RESTARTS,
  MAX_SAMPLES,
  type FitSettings,
} from '../vi/settings';

export class UsageError extends Error {
  override name = 'UsageError';
}

export interface FitCommand {
  readonly model: string;
  readonly dataPath?: string;
  readonly out?: string;
  /** --draws-csv: where to write the draws in CmdStan's variational CSV format. */
  readonly drawsCsv?: string;
  readonly settings: Partial<FitSettings>;
  readonly quiet: boolean;
}

type SettingKey = keyof FitSettings;

interface FlagSpec {
  readonly flag: string;
  /** The FitSettings field it sets (absent for the command's own flags). */
  readonly setting?: SettingKey;
  /** How its value is read: "auto-number" / "auto-integer" take a number (an integer) or the word auto. */
  readonly kind: 'string' | 'integer' | 'number' | 'auto-number' | 'auto-integer' | 'boolean';
  /** The argument's placeholder in the help, e.g. "N". */
  readonly arg?: string;
  readonly help: () => string;
  readonly default?: () => string;
}

const choices = (names: readonly string[], title: (name: string) => string | undefined): string =>
  names.map((n) => (title(n) ? `${n} (${title(n)})` : n)).join(' | ');

const FLAGS: readonly FlagSpec[] = [
  {
    flag: 'model',
    kind: 'string',
    arg: 'NAME',
    help: () =>
      `built-in model: ${MODEL_NAMES.join(', ')}; or a Stan program, a path ending in .stan (needs --data)`,
    default: () => 'normal-mean',
  },
  {
    flag: 'data',
    kind: 'string',
    arg: 'FILE',
    help: () => "data in Stan's JSON format",
    default: () => "the model's built-in data",
  },
  {
    flag: 'family',
    setting: 'family',
    kind: 'string',
    arg: 'F',
    help: () => choices(familyNames(), (n) => findFamily(n)?.title),
  },
  {
    flag: 'rank',
    setting: 'rank',
    kind: 'auto-integer',
    arg: 'K',
    help: () =>
      '--family lowrank: columns of B in q = N(mu, diag(sigma^2) + B B^T), 1 to min(D, 32), or auto (min(D, 8))',
  },
  {
    flag: 'flow-layers',
    setting: 'flowLayers',
    kind: 'integer',
    arg: 'L',
    help: () => `--family flow: RealNVP affine coupling layers (alternating halves), 1 to ${MAX_FLOW_LAYERS}`,
  },
  {
    flag: 'flow-hidden',
    setting: 'flowHidden',
    kind: 'integer',
    arg: 'H',
    help: () => `--family flow: tanh units in each coupling layer's MLP, 1 to ${MAX_FLOW_HIDDEN}`,
  },
  {
    flag: 'objective',
    setting: 'objective',
    kind: 'string',
    arg: 'O',
    help: () =>
      objectiveNames()
        .map((n) => {
          const o = findObjective(n);
          return `${o?.usage ?? n} (${o?.title ?? n})`;
        })
        .join(' | ') + '; samples must be a multiple of K',
  },
  {
    flag: 'estimator',
    setting: 'estimator',
    kind: 'string',
    arg: 'E',
    help: () =>
      objectiveNames()
        .map((o) =>
          findObjective(o)
            ?.estimators.map((e) => `${e.name} (${e.summary})`)
            .join(' | '),
        )
        .join('; '),
  },
  {
    flag: 'optimizer',
    setting: 'optimizer',
    kind: 'string',
    arg: 'NAME',
    help: () => choices(optimizerNames(), (n) => findOptimizer(n)?.title),
  },
  {
    flag: 'samples',
    setting: 'samples',
    kind: 'integer',
    arg: 'N',
    help: () => `Monte Carlo samples of q per step, 1 to ${MAX_SAMPLES}`,
  },
  { flag: 'steps', setting: 'maxSteps', kind: 'integer', arg: 'N', help: () => 'maximum optimizer steps' },
  {
    flag: 'lr',
    setting: 'lr',
    kind: 'auto-number',
    arg: 'X',
    help: () => "Adam's learning rate, > 0, or auto (the best of a short trial of candidates)",
  },
  {
    flag: 'seed',
    setting: 'seed',
    kind: 'integer',
    arg: 'N',
    help: () =>
      'random seed; the same seed, data and settings on the same adapter give bitwise-identical results',
  },
  {
    flag: 'restarts',
    setting: 'restarts',
    kind: 'integer',
    arg: 'K',
    help: () =>
      `independent fits from K starts advanced together (one GPU dispatch per step), 1 to ${MAX_RESTARTS}: ` +
      'restart 0 from the usual start, the others with means uniform(-2, 2) drawn from the seed; the result ' +
      'is the restart with the best final ELBO, every restart reported (K > 1 fits with Adam: the default optimizer then)',
  },
  {
    flag: 'pool',
    setting: 'pool',
    kind: 'string',
    arg: 'HOW',
    help: () =>
      `how the summary and --draws-csv pool the restarts: ${POOL_METHODS.join(' | ')} (best: the restart with the best ` +
      "final ELBO; resample: --draws draws resampled from every restart's draws with PSIS-smoothed weights " +
      'p / q_k, as multi-path Pathfinder pools its paths)',
  },
  {
    flag: 'stop',
    setting: 'stop',
    kind: 'string',
    arg: 'RULE',
    help: () =>
      "Adam's stopping rule: optimum (q's marginals stopped moving, the learning rate halved on each plateau) | " +
      "stan (Stan's relative ELBO tolerance --tol) | mcse (the ELBO's change within its Monte Carlo error)",
  },
  {
    flag: 'tol-sd',
    setting: 'tolSd',
    kind: 'number',
    arg: 'X',
    help: () => "--stop optimum: how little q's marginals may still move between windows, in sds",
  },
  {
    flag: 'tol',
    setting: 'tol',
    kind: 'number',
    arg: 'X',
    help: () => "--stop stan: Stan's relative ELBO tolerance",
  },
  {
    flag: 'clip',
    setting: 'clip',
    kind: 'number',
    arg: 'X',
    help: () => 'clip the gradient norm to X (0: off)',
  },
  {
    flag: 'draws',
    setting: 'draws',
    kind: 'integer',
    arg: 'N',
    help: () => 'draws from q for the summaries (and --draws-csv), >= 1000',
  },
  {
    flag: 'diagnostic-draws',
    setting: 'diagnosticDraws',
    kind: 'auto-integer',
    arg: 'N',
    help: () =>
      `draws from q for the PSIS diagnostic (k̂, IW-ELBO, PSIS-corrected summaries), 1000 to ${MAX_DIAGNOSTIC_DRAWS}, ` +
      'or auto (10^6 on a GPU, 10^5 on a CPU adapter)',
  },
  {
    flag: 'draws-csv',
    kind: 'string',
    arg: 'FILE',
    help: () =>
      "write --draws draws from q there as CmdStan's variational CSV (lp__, log_p__, log_g__, the parameters)",
  },
  { flag: 'out', kind: 'string', arg: 'FILE', help: () => 'write the result JSON there' },
  { flag: 'quiet', kind: 'boolean', help: () => 'no progress on stderr' },
  { flag: 'help', kind: 'boolean', help: () => 'this text' },
];

function defaultText(spec: FlagSpec): string | undefined {
  if (spec.default) return spec.default();
  return spec.setting ? String(DEFAULT_SETTINGS[spec.setting]) : undefined;
}

const HELP_INDENT = 22;
const HELP_WIDTH = 110;

/** Words of `text` in lines of at most HELP_WIDTH columns, continuation lines indented under the first. */
function wrap(first: string, text: string): string {
  const lines: string[] = [];
  let line = first.padEnd(HELP_INDENT);
  for (const word of text.split(' ')) {
    if (line.trim() !== first.trim() && line.length + word.length + 1 > HELP_WIDTH) {
      lines.push(line.trimEnd());
      line = ' '.repeat(HELP_INDENT);
    }
    line += (line.endsWith(' ') ? '' : ' ') + word;
  }
  lines.push(line.trimEnd());
  return lines.join('\n');
}

function helpText(): string {
  const rows = FLAGS.map((spec) => {
    const fallback = defaultText(spec);
    return wrap(
      `  --${spec.flag}${spec.arg ? ` ${spec.arg}` : ''}`,
      `${spec.help()}${fallback ? ` (default ${fallback})` : ''}`,
    );
  });
  return `webgpu-vi fit — black-box variational inference on the GPU (WebGPU through Dawn)

Usage:
  webgpu-vi fit --model NAME [--data FILE.json] [options]
  npm run fit -- --model NAME [--data FILE.json] [options]      (from a clone)

Options:
${rows.join('\n')}

Output: progress on stderr (step, ELBO ± its Monte Carlo standard error, gradient norm, samples/s); a summary
table (mean, sd, 5/50/95% quantiles of each parameter on the constrained space) on stdout.
Result JSON (--out): {model, family, bound (what elbo holds: ELBO, IW bound (K = 8), ...), seed, adapter,
  settings, steps, converged, stopReason, message,
  elbo: {trace: [[step, elbo, mcse], ...], final}, params: {names, mean, sd, q05, q50, q95}, histograms,
  lambda: {mean, sd, raw}, accuracy: {rule, optimizerError, sampleError, stepSizes, startScale},
  timing: {msPerStep, samplesPerSecond}, diagnostics: {khat, status, level, reading, draws, invalidDraws,
  iwElbo, ess, corrected: {mean, sd, usable}, passes, ms},
  with --restarts K > 1 also bestRestart and restarts: [{restart, elbo, elboMcse, trace, steps, converged,
  stopReason, summary: {names, mean, sd}, lambda: {mean, sd}}, ...]; the rest is restart bestRestart's;
  pool (best | resample) with --restarts K > 1 or --pool resample; with --pool resample params and histograms
  are of the resampled draws, and pooled: {method, poolDraws, perRestart, khat, status, level, ess,
  restartWeights, draws, distinct}}
stopReason: optimum | relative-tolerance-mean | relative-tolerance-median | mcse | line-search | max-steps |
  diverged | stopped.
PSIS k̂ (printed after the table; a warning on stderr above 0.7): < 0.5 q can be trusted, 0.5-0.7 usable with
care (prefer the PSIS-corrected summaries), > 0.7 unreliable.
Exit status: 0 converged or reached --steps; 1 GPU or other failure; 2 bad flags, settings, model or data
(the message names the field and what was expected); 3 diverged.`;
}

/** The help text, generated from the flag table and the registries. */
export const HELP = helpText();

function number(flag: string, raw: string, integer: boolean): number {
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
      options: Object.fromEntries(
        FLAGS.map((spec) => [
          spec.flag,
          {
            type: spec.kind === 'boolean' ? 'boolean' : 'string',
            ...(spec.flag === 'help' ? { short: 'h' } : {}),
          },
        ]),
      ) as Record<string, { type: 'boolean' | 'string'; short?: string }>,
      strict: true,
      allowPositionals: false,
    });
  } catch (error) {
    throw new UsageError(`${(error as Error).message} (see --help)`);
  }
  const v = parsed.values as Record<string, string | boolean | undefined>;
  if (v.help) return 'help';
  const settings: Partial<Record<SettingKey, string | number>> = {};
  for (const spec of FLAGS) {
    const raw = v[spec.flag];
    if (!spec.setting || typeof raw !== 'string') continue;
    settings[spec.setting] =
      spec.kind === 'string' || (spec.kind.startsWith('auto-') && raw === 'auto')
        ? raw
        : number(spec.flag, raw, spec.kind === 'integer' || spec.kind === 'auto-integer');
  }
  const text = (flag: string): string | undefined =>
    typeof v[flag] === 'string' ? (v[flag] as string) : undefined;
  const dataPath = text('data');
  const out = text('out');
  const drawsCsv = text('draws-csv');
  return {
    model: text('model') ?? 'normal-mean',
    ...(dataPath !== undefined ? { dataPath } : {}),
    ...(out !== undefined ? { out } : {}),
    ...(drawsCsv !== undefined ? { drawsCsv } : {}),
    settings: settings as Partial<FitSettings>,
    quiet: v.quiet === true,
  };
}
