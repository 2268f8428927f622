/** Typed errors of the GPU layer: each says what went wrong and what to do about it. */

export class WebGpuError extends Error {
  override name = 'WebGpuError';
}

/** No WebGPU implementation in this environment (no navigator.gpu, or Dawn could not be loaded). */
export class WebGpuUnavailableError extends WebGpuError {
  override name = 'WebGpuUnavailableError';
}

/** WebGPU exists but returned no adapter (no usable GPU or Vulkan driver), or the request timed out. */
export class AdapterNotFoundError extends WebGpuError {
  override name = 'AdapterNotFoundError';
}

/** The device was lost (driver reset, out of memory, destroyed). `reason` is WebGPU's GPUDeviceLostReason. */
export class DeviceLostError extends WebGpuError {
  override name = 'DeviceLostError';
  constructor(
    readonly reason: string,
    readonly detail: string,
  ) {
    super(`GPU device lost (${reason})${detail ? `: ${detail}` : ''}`);
  }
}

/** One compiler message, located in the module file it came from (not in the composed program). */
export interface ShaderMessage {
  readonly type: 'error' | 'warning' | 'info';
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly message: string;
  /** Where generated code came from (`model.stan:14`), when its module says (wgsl.ts, SOURCE_MARK). */
  readonly source?: string;
}

export class ShaderCompilationError extends WebGpuError {
  override name = 'ShaderCompilationError';
  constructor(
    readonly label: string,
    readonly messages: readonly ShaderMessage[],
  ) {
    super(
      `WGSL compilation failed for ${label}:\n` +
        messages
          .map(
            (m) =>
              `  ${m.file}:${m.line}:${m.column}${m.source ? ` (from ${m.source})` : ''}: ${m.type}: ${m.message}`,
          )
          .join('\n'),
    );
  }
}

/** A WGSL program could not be put together (unknown module, missing constant, dependency cycle). */
export class ShaderCompositionError extends WebGpuError {
  override name = 'ShaderCompositionError';
}
