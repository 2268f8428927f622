/**
 * The structs shared by src/gpu/tail-select.ts, src/gpu/tail-moments.ts and shaders/psis/*.wgsl are declared once in TypeScript;
 * this checks them field by field against the WGSL source (names, order, 4-byte scalar types).
 */
import { describe, expect, it } from 'vitest';
import { SHADER_LIBRARY } from '../../src/gpu/shader-library';
import { MOMENT_PARAMS_FIELDS } from '../../src/gpu/tail-moments';
import { TAIL_PARAMS_FIELDS, TAIL_STATE_FIELDS } from '../../src/gpu/tail-select';

function structFields(module: string, struct: string): { name: string; type: string }[] {
  const source = SHADER_LIBRARY[module] ?? '';
  const body = new RegExp(`struct ${struct} \\{([^}]*)\\}`).exec(source)?.[1];
  if (!body) throw new Error(`struct ${struct} not found in ${module}`);
  return body
    .split(',')
    .map((field) => field.trim())
    .filter(Boolean)
    .map((field) => {
      const [name = '', type = ''] = field.split(':').map((part) => part.trim());
      return { name, type };
    });
}

describe('tail pass layouts', () => {
  it.each([
    ['psis/tail_select', 'TailParams', TAIL_PARAMS_FIELDS, 'u32'],
    ['psis/tail_select', 'TailState', TAIL_STATE_FIELDS, 'atomic<u32>'],
    ['psis/tail_moments', 'MomentParams', MOMENT_PARAMS_FIELDS, 'u32'],
  ] as const)('%s %s matches the TypeScript declaration', (module, struct, fields, scalar) => {
    const wgsl = structFields(module, struct);
    expect(wgsl.map((f) => f.name)).toEqual([...fields]);
    for (const field of wgsl) expect(field.type).toBe(field.name === 'max_value' ? 'f32' : scalar);
  });
});
