// The page's entry point. For now it reports the WebGPU adapter (or why there is none).
import { acquireDevice } from '../gpu/device';

const status = document.querySelector<HTMLParagraphElement>('#status');

async function report(): Promise<void> {
  if (!status) return;
  try {
    const ctx = await acquireDevice();
    const features = Object.entries(ctx.features)
      .filter(([, on]) => on)
      .map(([name]) => name);
    status.dataset.state = 'ready';
    status.textContent = `WebGPU adapter: ${ctx.adapter.name}${ctx.adapter.isCpu ? ' (CPU)' : ''}; features: ${
      features.join(', ') || 'none'
    }`;
  } catch (error) {
    status.dataset.state = 'error';
    status.textContent = (error as Error).message;
  }
}

void report();
