// Prints the WebGPU adapter Node gets (through Dawn) on one line; exits 1 with the reason when there is none.
import { acquireDevice } from '../src/gpu/device';

try {
  const ctx = await acquireDevice({ timeoutMs: 60_000 });
  console.log(`WebGPU adapter: ${ctx.adapter.name}${ctx.driver ? ` [Vulkan driver: ${ctx.driver}]` : ''}`);
  ctx.device.destroy();
  process.exit(0);
} catch (error) {
  console.log((error as Error).message);
  process.exit(1);
}
