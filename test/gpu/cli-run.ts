/** Runs the CLI (`webgpu-vi …`, src/cli/main.ts) in a child process, as a user would, for the CLI tests. */
import { spawnSync } from 'node:child_process';

export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** `webgpu-vi ...args`; a fit on SwiftShader takes seconds to a minute, so the limit is generous. */
export function cli(...args: string[]): CliRun {
  const result = spawnSync(
    process.execPath,
    ['node_modules/vite-node/dist/cli.mjs', 'src/cli/main.ts', ...args],
    { encoding: 'utf8', timeout: 240_000 },
  );
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}
