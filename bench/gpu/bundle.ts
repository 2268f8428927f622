/**
 * npm run bench:gpu-bundle: builds .gpu/, everything one run of the GPU bench needs on a machine with no
 * Node.js, no npm and no network (the device tool's GPU machine), within its 64 MiB carry limit:
 *   .gpu/bench.mjs                  bench/gpu/run.ts and everything it imports (WGSL inlined through ?raw),
 *                                   one ES module whose only non-builtin import is `webgpu`
 *   .gpu/node_modules/webgpu/       that package's index.js and package.json, and dist/linux-x64/dawn.node.xz
 *                                   (index.js loads dist/<platform>-<arch>/dawn.node beside itself: the
 *                                   device command unpacks it there)
 *   .gpu/node.xz                    this machine's Node (x86-64), stripped, xz with the x86 filter
 *   .gpu/deb/*.deb                  the Vulkan loader and GL dispatch libraries from Debian (the device
 *                                   README's set), for machines whose image lacks libvulkan.so.1
 * Slow steps (xz of Node: minutes on 2 cores; apt) are skipped when their output is already there and current.
 * Prints each file's size and the total; fails above 64 MiB; warns when what would travel with it (the
 * checkout's tracked and untracked, not ignored files) passes the limit. Checks bench/gpu/device-command.sh
 * against the README and the 2000-character limit.
 */
import { spawnSync } from 'node:child_process';
import { builtinModules } from 'node:module';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BUNDLE = join(ROOT, '.gpu');
const MIB = 2 ** 20;
const CARRY_LIMIT = 64 * MIB;
const COMMAND_LIMIT = 2000;
/** The device README's set: the loader, and the GL dispatch libraries NVIDIA's driver links against. */
const DEBS = ['libvulkan1', 'libegl1', 'libglvnd0', 'libopengl0', 'libgl1', 'libglx0', 'libgles2'];
const DAWN = join(ROOT, 'node_modules', 'webgpu');

function run(
  command: string,
  args: readonly string[],
  options: { cwd?: string; input?: Buffer } = {},
): string {
  const result = spawnSync(command, args, {
    cwd: options.cwd ?? ROOT,
    input: options.input,
    maxBuffer: 1 << 30,
  });
  if (result.status !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} failed (${result.status}): ${result.stderr?.toString().trim()}`,
    );
  }
  return result.stdout.toString();
}

/** A file's identity for the caches: size and modification time. */
const stamp = (path: string): string => {
  const s = statSync(path);
  return `${s.size}:${s.mtimeMs}`;
};

/** Runs `make` unless `stampFile` records `key` and `output` exists. */
function cached(output: string, key: string, make: () => void): 'built' | 'cached' {
  const stampFile = `${output}.stamp`;
  if (existsSync(output) && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === key) return 'cached';
  make();
  writeFileSync(stampFile, key);
  return 'built';
}

/** xz with the x86 branch filter before LZMA2 (machine code packs about 5 % smaller). */
function xz(input: string, output: string): void {
  const data = spawnSync('xz', ['-T2', '--x86', '--lzma2=preset=9e', '-c', input], { maxBuffer: 1 << 30 });
  if (data.status !== 0) throw new Error(`xz ${input} failed: ${data.stderr.toString()}`);
  writeFileSync(output, data.stdout);
}

function buildInfo(): { commit: string; dirty: boolean; builtAt: string; webgpuPackage: string } {
  const commit = run('git', ['rev-parse', 'HEAD']).trim();
  const dirty = run('git', ['status', '--porcelain', '--untracked-files=no']).trim() !== '';
  const webgpu = JSON.parse(readFileSync(join(DAWN, 'package.json'), 'utf8')) as { version: string };
  return { commit, dirty, builtAt: new Date().toISOString(), webgpuPackage: webgpu.version };
}

async function bundleBench(): Promise<void> {
  await build({
    configFile: false,
    root: ROOT,
    logLevel: 'warn',
    define: { __GPU_BENCH_BUILD__: JSON.stringify(buildInfo()) },
    build: {
      ssr: 'bench/gpu/run.ts',
      outDir: BUNDLE,
      emptyOutDir: false,
      target: 'node20',
      minify: false,
      copyPublicDir: false,
      rollupOptions: { output: { entryFileNames: 'bench.mjs', codeSplitting: false } },
    },
    ssr: { external: ['webgpu'], noExternal: true },
  });
  const source = readFileSync(join(BUNDLE, 'bench.mjs'), 'utf8');
  const specifiers = [
    ...source.matchAll(/\bfrom\s*["']([^"']+)["']/g),
    ...source.matchAll(/\bimport\s*\(\s*["']([^"']+)["']\s*\)/g),
    ...source.matchAll(/^\s*import\s*["']([^"']+)["']/gm),
    ...source.matchAll(/\brequire\s*\(\s*["']([^"']+)["']\s*\)/g),
  ].map((m) => m[1] as string);
  const builtins = new Set(builtinModules);
  const foreign = [...new Set(specifiers)].filter(
    (s) => s !== 'webgpu' && !s.startsWith('node:') && !builtins.has(s),
  );
  if (foreign.length > 0) throw new Error(`.gpu/bench.mjs imports more than webgpu: ${foreign.join(', ')}`);
  const others = readdirSync(BUNDLE).filter((f) => /\.(m?js|map)$/.test(f) && f !== 'bench.mjs');
  if (others.length > 0) throw new Error(`the build left more than one file: ${others.join(', ')}`);
}

function copyDawn(): string {
  const target = join(BUNDLE, 'node_modules', 'webgpu');
  mkdirSync(join(target, 'dist', 'linux-x64'), { recursive: true });
  for (const file of ['index.js', 'package.json', 'LICENSE.md'])
    copyFileSync(join(DAWN, file), join(target, file));
  const dawnNode = join(DAWN, 'dist', 'linux-x64', 'dawn.node');
  const packed = join(target, 'dist', 'linux-x64', 'dawn.node.xz');
  // An unpacked dawn.node from an earlier local run would travel too: only the .xz belongs in the bundle.
  rmSync(join(target, 'dist', 'linux-x64', 'dawn.node'), { force: true });
  return cached(packed, stamp(dawnNode), () => xz(dawnNode, packed));
}

function packNode(): string {
  const node = process.execPath;
  const packed = join(BUNDLE, 'node.xz');
  return cached(packed, `${process.version}:${stamp(node)}`, () => {
    // Debian's build carries debug info: stripped it is 86 MB instead of 99, and 21 MB with xz.
    const stripped = join(BUNDLE, 'node.stripped.tmp');
    run('strip', ['-o', stripped, node]);
    try {
      xz(stripped, packed);
    } finally {
      rmSync(stripped, { force: true });
    }
  });
}

function downloadDebs(): string {
  const dir = join(BUNDLE, 'deb');
  mkdirSync(dir, { recursive: true });
  const have = (name: string): boolean =>
    readdirSync(dir).some((f) => f.startsWith(`${name}_`) && f.endsWith('.deb'));
  const missing = DEBS.filter((name) => !have(name));
  if (missing.length === 0) return 'cached';
  // Apt's lists and cache in /tmp, as the device README does it, so the system's apt state is not touched.
  const state = '/tmp/webgpu-vi-apt';
  mkdirSync(join(state, 'lists', 'partial'), { recursive: true });
  mkdirSync(join(state, 'cache', 'archives', 'partial'), { recursive: true });
  const options = [
    '-q',
    '-oAPT::Architecture=amd64',
    '-oAPT::Architectures=amd64',
    `-oDir::State::Lists=${state}/lists`,
    `-oDir::Cache=${state}/cache`,
  ];
  run('apt-get', [...options, 'update']);
  run('apt-get', [...options, 'download', ...missing], { cwd: dir });
  return 'built';
}

function checkCommand(): string {
  const lines = readFileSync(join(ROOT, 'bench', 'gpu', 'device-command.sh'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('#'));
  const command = lines.join(' ');
  if (command.length > COMMAND_LIMIT) {
    throw new Error(`the device command has ${command.length} characters (the limit is ${COMMAND_LIMIT})`);
  }
  const readme = readFileSync(join(ROOT, 'bench', 'gpu', 'README.md'), 'utf8');
  if (!readme.includes(command)) {
    throw new Error('bench/gpu/README.md does not quote bench/gpu/device-command.sh as one line: update it');
  }
  return command;
}

function filesUnder(dir: string): { path: string; bytes: number }[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => {
      const path = join(e.parentPath, e.name);
      return { path, bytes: statSync(path).size };
    });
}

/** Bytes of the checkout's files that travel whatever `carry` names: tracked (as present) and untracked, not ignored. */
function checkoutBytes(): { bytes: number; largest: { path: string; bytes: number }[] } {
  const list = (args: string[]): string[] =>
    run('git', ['ls-files', '-z', ...args])
      .split('\0')
      .filter(Boolean);
  const files = [...new Set([...list([]), ...list(['--others', '--exclude-standard'])])]
    .filter((p) => existsSync(join(ROOT, p)))
    .map((path) => ({ path, bytes: statSync(join(ROOT, path)).size }));
  files.sort((a, b) => b.bytes - a.bytes);
  return { bytes: files.reduce((s, f) => s + f.bytes, 0), largest: files.slice(0, 5) };
}

const mib = (bytes: number): string => `${(bytes / MIB).toFixed(1)} MiB`;

async function main(): Promise<void> {
  mkdirSync(BUNDLE, { recursive: true });
  const command = checkCommand();
  console.log('bundling bench/gpu/run.ts ...');
  await bundleBench();
  console.log(`dawn.node: ${copyDawn()}`);
  console.log(`node (${process.version}): ${packNode()} (xz of Node takes minutes the first time)`);
  console.log(`Debian packages: ${downloadDebs()}`);

  const files = filesUnder(BUNDLE).filter((f) => !f.path.endsWith('.stamp'));
  for (const f of files.sort((a, b) => b.bytes - a.bytes)) {
    console.log(`  ${mib(f.bytes).padStart(9)}  ${relative(ROOT, f.path)}`);
  }
  const stamps = filesUnder(BUNDLE).filter((f) => f.path.endsWith('.stamp'));
  const total = [...files, ...stamps].reduce((s, f) => s + f.bytes, 0);
  console.log(`.gpu/: ${mib(total)} (${total} bytes; the carry limit is 64 MiB)`);
  if (total > CARRY_LIMIT) throw new Error('.gpu/ is larger than the 64 MiB that may travel');

  const tree = checkoutBytes();
  const travel = tree.bytes + total;
  console.log(`with this checkout's files (${mib(tree.bytes)}), a device call would send ${mib(travel)}`);
  if (travel > CARRY_LIMIT) {
    console.log(
      `WARNING: over the 64 MiB limit: the device tool would refuse the call. Largest files in the checkout:\n` +
        tree.largest.map((f) => `  ${mib(f.bytes).padStart(9)}  ${f.path}`).join('\n'),
    );
  }
  console.log(`\ndevice command (${command.length} characters), carry [".gpu"], timeout_s 300:\n${command}`);
}

await main();
