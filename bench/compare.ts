/**
 * webgpu-vi against an earlier commit of itself, side by side in one run: the quick plan's webgpu-vi
 * throughput jobs, each run by this tree's runner and by the base commit's (a temporary git worktree that
 * shares this tree's node_modules), alternating A B A B so that drifts of the machine's load hit both.
 *   npm run bench:compare -- --base HEAD~3 [--rounds 3] [--only hmm,logistic-N1000-D10] [--reps 5] [--stan]
 * (--stan: the quick plan's compiled Stan twins, system webgpu-vi-stan, instead of the hand-written models.)
 * Prints, per workload and samples per step, the median samples/s of each and their ratio (this / base).
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Job, JobResult } from './protocol';
import { QUICK, WORKLOADS } from './workloads';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

interface Args {
  readonly base: string;
  readonly rounds: number;
  readonly reps: number;
  readonly only: readonly string[];
  readonly system: 'webgpu-vi' | 'webgpu-vi-stan';
}

function parseArgs(argv: readonly string[]): Args {
  let base = '';
  let rounds = 3;
  let reps = 5;
  let only: string[] = [];
  let system: Args['system'] = 'webgpu-vi';
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--base') base = argv[++i] ?? '';
    else if (arg === '--rounds') rounds = Number(argv[++i]);
    else if (arg === '--reps') reps = Number(argv[++i]);
    else if (arg === '--only') only = (argv[++i] ?? '').split(',').filter(Boolean);
    else if (arg === '--stan') system = 'webgpu-vi-stan';
    else if (arg !== '--')
      throw new Error(`unknown argument "${arg}" (expected --base, --rounds, --reps, --only, --stan)`);
  }
  if (!base) throw new Error('--base REV is required (the commit to compare against)');
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error('--rounds: expected an integer >= 1');
  if (!Number.isInteger(reps) || reps < 1) throw new Error('--reps: expected an integer >= 1');
  return { base, rounds, reps, only, system };
}

function git(...args: string[]): string {
  const r = spawnSync('git', args, { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr.trim()}`);
  return r.stdout.trim();
}

/** A worktree of `rev` sharing this tree's node_modules; removed by the returned function. */
function baseTree(rev: string): { dir: string; remove: () => void } {
  const sha = git('rev-parse', '--short', rev);
  const dir = join(tmpdir(), `webgpu-vi-base-${sha}-${process.pid}`);
  git('worktree', 'add', '--detach', dir, sha);
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return { dir, remove: () => git('worktree', 'remove', '--force', dir) };
}

function runIn(tree: string, job: Job): Promise<JobResult> {
  const jobFile = join(tmpdir(), `webgpu-vi-compare-${process.pid}-${Date.now()}.json`);
  writeFileSync(jobFile, JSON.stringify(job));
  const stdin = openSync(jobFile, 'r');
  const viteNode = join(tree, 'node_modules', 'vite-node', 'dist', 'cli.mjs');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [viteNode, 'bench/systems/webgpu-vi.ts'], {
      cwd: tree,
      stdio: [stdin, 'pipe', 'inherit'],
    });
    let stdout = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.on('close', (code) => {
      closeSync(stdin);
      rmSync(jobFile, { force: true });
      const line = stdout
        .split('\n')
        .reverse()
        .find((l) => l.trim().startsWith('{'));
      if (code === 0 && line) resolve(JSON.parse(line) as JobResult);
      else reject(new Error(`runner in ${tree} failed with exit code ${code}`));
    });
  });
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2
    ? (s[(s.length - 1) / 2] as number)
    : ((s[s.length / 2 - 1] as number) + (s[s.length / 2] as number)) / 2;
};

const args = parseArgs(process.argv.slice(2));
const base = baseTree(args.base);
if (!existsSync(join(base.dir, 'bench/systems/webgpu-vi.ts')))
  throw new Error(`${args.base} has no webgpu-vi runner`);
const rows: string[] = [];
try {
  const series = QUICK.series.filter(
    (s) => s.system === args.system && (args.only.length === 0 || args.only.includes(s.workload)),
  );
  for (const s of series) {
    const workload = WORKLOADS.find((w) => w.name === s.workload);
    if (!workload) continue;
    for (const log2 of s.log2Samples) {
      const job: Job = {
        model: workload.model,
        data: workload.data,
        samples: 2 ** log2,
        reps: args.reps,
        targetRepMs: QUICK.targetRepMs,
        maxSteps: 1000,
        lr: 0.05,
        seed: 1,
        ...(args.system === 'webgpu-vi-stan' && workload.stanTwin ? { stanSource: workload.stanTwin } : {}),
      };
      const head: number[] = [];
      const old: number[] = [];
      for (let r = 0; r < args.rounds; r++) {
        head.push((await runIn(ROOT, job)).samplesPerSecond);
        old.push((await runIn(base.dir, job)).samplesPerSecond);
      }
      const [h, b] = [median(head), median(old)];
      const row =
        `${s.workload.padEnd(20)} 2^${String(log2).padEnd(3)} this ${h.toExponential(3)}  ` +
        `base ${b.toExponential(3)}  ratio ${(h / b).toFixed(3)}  (rounds: this ${head.map((x) => x.toExponential(2)).join(' ')}; base ${old.map((x) => x.toExponential(2)).join(' ')})`;
      console.log(row);
      rows.push(row);
    }
  }
} finally {
  base.remove();
}
console.log(
  `\nsamples/s, median of ${args.rounds} alternating rounds (each the median of ${args.reps} repetitions); base ${args.base} = ${git('rev-parse', '--short', args.base)}`,
);
rows.forEach((r) => console.log(r));
process.exit(0);
