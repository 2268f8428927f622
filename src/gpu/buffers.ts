/** Buffer helpers: labelled creation, uploads and read-backs. */

export interface BufferSpec {
  readonly label: string;
  readonly usage: GPUBufferUsageFlags;
  /** Size in bytes (rounded up to a multiple of 4); defaults to the data's size. */
  readonly size?: number;
  readonly data?: ArrayBufferView | ArrayBuffer;
}

export function createBuffer(device: GPUDevice, spec: BufferSpec): GPUBuffer {
  const dataBytes = spec.data ? spec.data.byteLength : 0;
  const size = Math.max(4, Math.ceil((spec.size ?? dataBytes) / 4) * 4);
  if (dataBytes > size)
    throw new RangeError(`${spec.label}: ${dataBytes} bytes of data do not fit in ${size}`);
  const buffer = device.createBuffer({
    label: spec.label,
    size,
    usage: spec.usage,
    mappedAtCreation: !!spec.data,
  });
  if (spec.data) {
    const bytes =
      spec.data instanceof ArrayBuffer
        ? new Uint8Array(spec.data)
        : new Uint8Array(spec.data.buffer, spec.data.byteOffset, spec.data.byteLength);
    new Uint8Array(buffer.getMappedRange()).set(bytes);
    buffer.unmap();
  }
  return buffer;
}

/**
 * WebGPU's buffer usage and map mode flags (values fixed by the spec). The GPUBufferUsage global only
 * exists in Node once Dawn is loaded, and these constants are needed at module load.
 */
export const BufferUsage = {
  MAP_READ: 0x0001,
  MAP_WRITE: 0x0002,
  COPY_SRC: 0x0004,
  COPY_DST: 0x0008,
  INDEX: 0x0010,
  VERTEX: 0x0020,
  UNIFORM: 0x0040,
  STORAGE: 0x0080,
  INDIRECT: 0x0100,
  QUERY_RESOLVE: 0x0200,
} as const;
const MAP_MODE_READ = 0x0001;

export const STORAGE = BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST;
export const UNIFORM = BufferUsage.UNIFORM | BufferUsage.COPY_DST;

/**
 * Copies `byteLength` bytes of `source` (which needs COPY_SRC) to the host. Waits for the queue:
 * use it at the end of work, not inside a loop that should keep the GPU busy.
 */
export async function readBuffer(
  device: GPUDevice,
  source: GPUBuffer,
  byteLength: number = source.size,
  byteOffset = 0,
): Promise<ArrayBuffer> {
  const size = Math.ceil(byteLength / 4) * 4;
  const staging = device.createBuffer({
    label: `${source.label} readback`,
    size,
    usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST,
  });
  try {
    const encoder = device.createCommandEncoder({ label: `${source.label} readback` });
    encoder.copyBufferToBuffer(source, byteOffset, staging, 0, size);
    device.queue.submit([encoder.finish()]);
    await staging.mapAsync(MAP_MODE_READ);
    return staging.getMappedRange().slice(0, byteLength);
  } finally {
    staging.destroy();
  }
}

/** Workgroups for a grid-stride loop over `items`: enough to cover them, never past the per-dimension limit. */
export function gridStrideWorkgroups(items: number, workgroupSize: number, cap = 65535): number {
  return Math.max(1, Math.min(Math.ceil(items / workgroupSize), cap));
}

/**
 * Small uniform buffers for passes that record into a caller's encoder. Each `take` gets a buffer of its
 * own: a pass recorded twice before one submit must not share one buffer, because queue.writeBuffer runs
 * before the whole submit and both passes would see the last value written. `recycle()` (once the work
 * recorded so far has completed, e.g. after queue.onSubmittedWorkDone) makes the buffers reusable.
 */
export class UniformArena {
  private readonly free: GPUBuffer[] = [];
  private readonly used: GPUBuffer[] = [];

  constructor(
    private readonly device: GPUDevice,
    private readonly label: string,
    private readonly size: number,
  ) {}

  /** A uniform buffer holding `data` (at most `size` bytes), for one recorded pass. */
  take(data: ArrayBufferView): GPUBuffer {
    const reused = this.free.pop();
    const buffer =
      reused ?? createBuffer(this.device, { label: this.label, usage: UNIFORM, size: this.size });
    this.device.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, data.byteLength);
    this.used.push(buffer);
    return buffer;
  }

  /** Call once every pass recorded with these buffers has run: they become free for later passes. */
  recycle(): void {
    this.free.push(...this.used.splice(0));
  }

  destroy(): void {
    [...this.free, ...this.used].forEach((b) => b.destroy());
    this.free.length = 0;
    this.used.length = 0;
  }
}
