/**
 * WebGPU in Node through Dawn (the `webgpu` npm package). Node-only: src/gpu/device.ts imports this
 * module dynamically, so the browser bundle never loads it.
 *
 * Dawn needs a Vulkan driver on Linux. On a machine without a GPU we point the Vulkan loader at the
 * SwiftShader driver that Debian's `chromium` package ships (Debian 12's lavapipe is too old for Dawn).
 */
import { existsSync, readdirSync } from 'node:fs';
import { create, globals } from 'webgpu';

export const CHROMIUM_SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

export type VulkanDriverSource = 'VK_ICD_FILENAMES' | 'VK_DRIVER_FILES' | 'chromium-swiftshader' | 'system';

export interface VulkanDriverChoice {
  readonly source: VulkanDriverSource;
  /** The ICD manifest handed to the Vulkan loader, when we chose one. */
  readonly icd?: string;
}

function hasGpuDeviceNode(): boolean {
  if (existsSync('/dev/nvidia0')) return true;
  try {
    return readdirSync('/dev/dri').some((name) => name.startsWith('renderD'));
  } catch {
    return false;
  }
}

/**
 * The user's choice first (VK_ICD_FILENAMES / VK_DRIVER_FILES); then, when the machine shows no GPU
 * device node, Chromium's SwiftShader; otherwise the system's drivers.
 */
export function chooseVulkanDriver(env: NodeJS.ProcessEnv = process.env): VulkanDriverChoice {
  if (env.VK_ICD_FILENAMES) return { source: 'VK_ICD_FILENAMES', icd: env.VK_ICD_FILENAMES };
  if (env.VK_DRIVER_FILES) return { source: 'VK_DRIVER_FILES', icd: env.VK_DRIVER_FILES };
  if (process.platform === 'linux' && !hasGpuDeviceNode() && existsSync(CHROMIUM_SWIFTSHADER_ICD)) {
    return { source: 'chromium-swiftshader', icd: CHROMIUM_SWIFTSHADER_ICD };
  }
  return { source: 'system' };
}

let dawnGpu: { gpu: GPU; driver: VulkanDriverChoice } | undefined;

/** Dawn's GPU object (one per process: Dawn's instance is expensive and holds the driver). */
export function createDawnGpu(): { gpu: GPU; driver: VulkanDriverChoice } {
  if (dawnGpu) return dawnGpu;
  const driver = chooseVulkanDriver();
  // The Vulkan loader reads this when Dawn creates its instance, which happens below.
  if (driver.source === 'chromium-swiftshader' && driver.icd) process.env.VK_ICD_FILENAMES = driver.icd;
  Object.assign(globalThis, globals);
  dawnGpu = { gpu: create([]) as GPU, driver };
  return dawnGpu;
}

/** What to install when Dawn finds no adapter, in one line. */
export function missingDriverHint(): string {
  if (process.platform !== 'linux') return 'install a GPU driver with Vulkan, Metal or D3D12 support';
  const loader = ['/usr/lib/x86_64-linux-gnu/libvulkan.so.1', '/usr/lib/aarch64-linux-gnu/libvulkan.so.1'];
  if (!loader.some((p) => existsSync(p))) {
    return 'the Vulkan loader is missing: install it (Debian: apt-get install libvulkan1 chromium)';
  }
  if (!existsSync(CHROMIUM_SWIFTSHADER_ICD)) {
    return "no usable Vulkan driver: install Debian's chromium (its SwiftShader driver) or a GPU driver";
  }
  return `the Vulkan driver was found but gave no adapter (driver: ${chooseVulkanDriver().icd ?? 'system'})`;
}
