/** What the page says when it cannot get a GPU: which browsers and flags work, and whether retrying can help. */

export interface StartupProblem {
  readonly text: string;
  /** Whether Restart (a new worker asking again) can help. */
  readonly restart: boolean;
}

const BROWSERS =
  'Use Chrome or Edge 113 or newer, Safari 26 or newer, or Firefox 141 or newer on Windows. ' +
  'On Linux, start Chrome or Chromium with --enable-unsafe-webgpu (and --enable-features=Vulkan).';

export function describeStartupError(error: {
  readonly name: string;
  readonly message: string;
}): StartupProblem {
  switch (error.name) {
    case 'WebGpuUnavailableError':
      return {
        text:
          `This browser has no WebGPU, which this page needs. ${BROWSERS}` +
          (window.isSecureContext
            ? ''
            : ' WebGPU also needs a secure context: open the page over https or from localhost.'),
        restart: false,
      };
    case 'AdapterNotFoundError':
      return {
        text: `WebGPU is there but offered no GPU adapter (${error.message}). Check that hardware acceleration is on; ${BROWSERS}`,
        restart: true,
      };
    default:
      return { text: `Could not start the GPU: ${error.message}`, restart: true };
  }
}
