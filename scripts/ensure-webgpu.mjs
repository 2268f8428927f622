#!/usr/bin/env node
// Makes sure Node can get a WebGPU adapter (Dawn + a Vulkan driver) before the GPU tests run, and that
// Debian's Chromium is there for the browser (e2e) tests.
// - An adapter is found: print it and go on.
// - None, and we may install Debian packages (root, apt-get): install Chromium (its SwiftShader Vulkan
//   driver, also used by the browser tests) and the Vulkan loader, then check again.
// - Otherwise stop at once with one line naming what to install. The tests never skip the GPU.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const PACKAGES = ['chromium', 'libvulkan1'];
const CHROMIUM = '/usr/bin/chromium';

function probe() {
  const result = spawnSync(
    process.execPath,
    ['node_modules/vite-node/dist/cli.mjs', 'scripts/probe-adapter.ts'],
    {
      cwd: root,
      encoding: 'utf8',
      timeout: 120_000,
    },
  );
  const line = (result.stdout || '').trim().split('\n').pop() || '';
  return { ok: result.status === 0, line, stderr: result.stderr || '' };
}

function missingPackages() {
  const missing = [];
  if (!existsSync('/usr/lib/chromium/vk_swiftshader_icd.json') || !existsSync(CHROMIUM))
    missing.push('chromium');
  const loaders = ['/usr/lib/x86_64-linux-gnu/libvulkan.so.1', '/usr/lib/aarch64-linux-gnu/libvulkan.so.1'];
  if (!loaders.some((p) => existsSync(p))) missing.push('libvulkan1');
  return missing;
}

function canInstall() {
  return (
    process.platform === 'linux' &&
    typeof process.getuid === 'function' &&
    process.getuid() === 0 &&
    spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status === 0
  );
}

function install() {
  console.log(`[webgpu-vi] installing ${PACKAGES.join(' ')} (Debian packages) ...`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const update = spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  const packages = spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...PACKAGES], {
    stdio: 'inherit',
    env,
  });
  if (update.status !== 0 || packages.status !== 0) {
    console.error(`[webgpu-vi] apt-get install ${PACKAGES.join(' ')} failed; install them and run again`);
    process.exit(1);
  }
}

let result = probe();
if (result.ok && !existsSync(CHROMIUM)) {
  // A GPU machine without Chromium: the adapter is fine, but the browser tests need Debian's Chromium.
  if (!canInstall()) {
    console.error(
      `[webgpu-vi] the browser tests need Chromium at ${CHROMIUM}: sudo apt-get install chromium`,
    );
    process.exit(1);
  }
  install();
}
if (!result.ok) {
  const missing = missingPackages();
  if (missing.length > 0 && canInstall()) {
    console.log('[webgpu-vi] no WebGPU adapter yet');
    install();
    result = probe();
  } else if (missing.length > 0) {
    console.error(
      `[webgpu-vi] no WebGPU adapter: install ${missing.join(' and ')} (Debian: sudo apt-get install ${PACKAGES.join(' ')}) or a GPU Vulkan driver`,
    );
    process.exit(1);
  }
}
if (!result.ok) {
  console.error(`[webgpu-vi] no WebGPU adapter: ${result.line || result.stderr.trim().split('\n').pop()}`);
  process.exit(1);
}
console.log(`[webgpu-vi] ${result.line}`);
