/** Host-side layouts of model data for the GPU. */
import { vec4Count } from './types';

/**
 * A row-major rows x cols matrix as f32 rows padded to whole vec4s (vec4Count(cols) per row, zeros in the
 * padding), the layout WGSL reads as array<vec4<f32>> with compile-time row strides. The zero padding is what
 * lets a dot product over whole vec4s ignore the lanes past cols.
 */
export function padRowsToVec4(values: ArrayLike<number>, rows: number, cols: number): Float32Array {
  if (values.length !== rows * cols) {
    throw new RangeError(`padRowsToVec4: ${values.length} values for a ${rows} x ${cols} matrix`);
  }
  const stride = vec4Count(cols) * 4;
  const out = new Float32Array(rows * stride);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) out[i * stride + j] = values[i * cols + j] as number;
  }
  return out;
}
