/**
 * One way to get a GPUDevice, in a page, in a Web Worker and in Node (through Dawn).
 * Larger limits and optional features are requested explicitly from the adapter, never assumed.
 */
import { AdapterNotFoundError, DeviceLostError, WebGpuUnavailableError } from './errors';

export interface AdapterDescription {
  readonly vendor: string;
  readonly architecture: string;
  readonly device: string;
  readonly description: string;
  /** A one-line name for logs and results, e.g. "google swiftshader (SwiftShader driver 5.0.0)". */
  readonly name: string;
  /** True for a CPU implementation (SwiftShader, lavapipe, WARP). */
  readonly isCpu: boolean;
}

export interface GpuFeatures {
  /** `subgroups` device feature and the `subgroup_id` WGSL language feature: the subgroup reduction path. */
  readonly subgroups: boolean;
  readonly timestampQuery: boolean;
}

export interface GpuContext {
  readonly device: GPUDevice;
  readonly adapter: AdapterDescription;
  readonly features: GpuFeatures;
  /** Settles when the device is lost: the reason as a typed error (reason "destroyed" after destroy()). */
  readonly lost: Promise<DeviceLostError>;
  /** How the Node build found its Vulkan driver (absent in browsers). */
  readonly driver?: string;
  /**
   * The first validation or out-of-memory error the device raised outside an error scope, if any: such
   * errors make WebGPU drop the work silently, so long-running loops check this and stop.
   */
  uncapturedError(): GPUError | undefined;
}

export interface AcquireOptions {
  /** A GPU object to use instead of navigator.gpu or Dawn (tests inject one). */
  readonly gpu?: GPU;
  readonly powerPreference?: GPUPowerPreference;
  /** Ask for no optional feature even where the adapter has it (e.g. to test the fallback paths). */
  readonly disableFeatures?: readonly ('subgroups' | 'timestamp-query')[];
  /** Give up on the adapter request after this long (default 30 s): a broken driver must not hang us. */
  readonly timeoutMs?: number;
  readonly label?: string;
}

/** Limits worth raising for big sample counts and data sets; each is requested at the adapter's maximum. */
const RAISED_LIMITS = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBuffersPerShaderStage',
] as const;

/** Adapters that run shaders on the CPU (software rasterisers), by their vendor/architecture/description. */
export const CPU_ADAPTER = /swiftshader|llvmpipe|lavapipe|warp|microsoft basic render/i;

function isNode(): boolean {
  return typeof process !== 'undefined' && typeof process.versions?.node === 'string';
}

async function findGpu(options: AcquireOptions): Promise<{ gpu: GPU; driver?: string }> {
  if (options.gpu) return { gpu: options.gpu };
  if (typeof navigator !== 'undefined' && navigator.gpu) return { gpu: navigator.gpu };
  if (isNode()) {
    try {
      const { createDawnGpu } = await import('./dawn');
      const { gpu, driver } = createDawnGpu();
      return { gpu, driver: driver.icd ? `${driver.source}: ${driver.icd}` : driver.source };
    } catch (error) {
      throw new WebGpuUnavailableError(
        `could not load Dawn (the "webgpu" npm package): ${(error as Error).message}`,
      );
    }
  }
  throw new WebGpuUnavailableError(
    'this browser has no WebGPU (navigator.gpu is missing): use Chrome or Edge 113+, Safari 26+, ' +
      'or Firefox 141+ on Windows; on Linux start Chrome with --enable-unsafe-webgpu',
  );
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new AdapterNotFoundError(`${what} timed out after ${ms} ms`)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

export function describeAdapter(info: GPUAdapterInfo): AdapterDescription {
  const vendor = info.vendor || 'unknown vendor';
  const architecture = info.architecture || '';
  const description = info.description || '';
  const device = info.device || '';
  const name = [vendor, architecture, description ? `(${description})` : ''].filter(Boolean).join(' ');
  return {
    vendor,
    architecture,
    device,
    description,
    name,
    isCpu: CPU_ADAPTER.test(`${vendor} ${architecture} ${description} ${device}`),
  };
}

async function hintForMissingAdapter(): Promise<string> {
  if (!isNode()) return 'enable WebGPU in this browser, or use one with a supported GPU';
  const { missingDriverHint } = await import('./dawn');
  return missingDriverHint();
}

/** A GPUDevice with raised limits and the optional features the adapter has, plus what we learnt about it. */
export async function acquireDevice(options: AcquireOptions = {}): Promise<GpuContext> {
  const { gpu, driver } = await findGpu(options);
  const timeoutMs = options.timeoutMs ?? 30_000;
  const adapter = await withTimeout(
    gpu.requestAdapter({ powerPreference: options.powerPreference ?? 'high-performance' }),
    timeoutMs,
    'requestAdapter',
  );
  if (!adapter) {
    throw new AdapterNotFoundError(`no WebGPU adapter: ${await hintForMissingAdapter()}`);
  }
  const disabled = new Set(options.disableFeatures ?? []);
  const wantSubgroups =
    adapter.features.has('subgroups') &&
    !disabled.has('subgroups') &&
    (gpu.wgslLanguageFeatures?.has('subgroup_id') ?? false);
  const wantTimestamps = adapter.features.has('timestamp-query') && !disabled.has('timestamp-query');
  const requiredFeatures: GPUFeatureName[] = [];
  if (wantSubgroups) requiredFeatures.push('subgroups');
  if (wantTimestamps) requiredFeatures.push('timestamp-query');

  const requiredLimits: Record<string, number> = {};
  for (const name of RAISED_LIMITS) requiredLimits[name] = adapter.limits[name];

  const device = await withTimeout(
    adapter.requestDevice({
      label: options.label ?? 'webgpu-vi',
      requiredFeatures,
      requiredLimits,
    }),
    timeoutMs,
    'requestDevice',
  );
  const lost = device.lost.then((info) => new DeviceLostError(info.reason, info.message));
  let firstError: GPUError | undefined;
  device.addEventListener('uncapturederror', (event) => {
    firstError ??= (event as GPUUncapturedErrorEvent).error;
  });
  return {
    uncapturedError: () => firstError,
    device,
    adapter: describeAdapter(adapter.info),
    features: { subgroups: wantSubgroups, timestampQuery: wantTimestamps },
    lost,
    ...(driver ? { driver } : {}),
  };
}
