/**
 * The device for GPU tests: the real WebGPU implementation (Dawn in Node) on whatever adapter the
 * machine has, SwiftShader on CPU-only machines. No adapter is a failure, never a skip.
 */
import { acquireDevice, type AcquireOptions, type GpuContext } from '../../src/gpu/device';

export async function testDevice(options: AcquireOptions = {}): Promise<GpuContext> {
  const ctx = await acquireDevice(options);
  const features = Object.entries(ctx.features)
    .filter(([, on]) => on)
    .map(([name]) => name);
  console.info(
    `[webgpu-vi] adapter: ${ctx.adapter.name}; features: ${features.join(', ') || 'none'}` +
      (ctx.driver ? `; Vulkan driver: ${ctx.driver}` : ''),
  );
  return ctx;
}
