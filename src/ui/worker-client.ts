/**
 * The page's side of the engine worker: starts it, wraps it with Comlink, and turns the ways it can fail
 * (an uncaught error, an unreadable message, a lost GPU device) into callbacks. A failed worker is never
 * reused: Restart builds a new one, with a new device.
 */
import * as Comlink from 'comlink';
import type { EngineApi } from '../../workers/engine.worker';
import type { AdapterInfo } from '../../workers/protocol';

export interface WorkerEvents {
  /** The worker itself failed; calls in flight will never settle. */
  readonly onFailure: (message: string) => void;
  readonly onLost: (message: string) => void;
}

export class EngineClient {
  readonly api: Comlink.Remote<EngineApi>;
  private readonly worker: Worker;
  private closed = false;

  constructor(private readonly events: WorkerEvents) {
    this.worker = new Worker(new URL('../../workers/engine.worker.ts', import.meta.url), {
      type: 'module',
      name: 'webgpu-vi engine',
    });
    this.worker.addEventListener('error', (event) => {
      // Handled here and shown on the page; not an uncaught error of the page as well.
      event.preventDefault();
      this.fail(event.message || 'the worker script could not be loaded');
    });
    this.worker.addEventListener('messageerror', () => this.fail('a message from it could not be read'));
    this.api = Comlink.wrap<EngineApi>(this.worker);
  }

  init(): Promise<AdapterInfo> {
    return this.api.init(
      Comlink.proxy((message: string) => {
        if (!this.closed) this.events.onLost(message);
      }),
    );
  }

  terminate(): void {
    this.closed = true;
    this.worker.terminate();
  }

  private fail(message: string): void {
    if (this.closed) return;
    this.terminate();
    this.events.onFailure(message);
  }
}
