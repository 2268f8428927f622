/** src/gpu/layout.ts: offsets by WGSL's alignment rules, generated declarations, pack and unpack. */
import { describe, expect, it } from 'vitest';
import { defineBindGroup, defineStruct } from '../../src/gpu/layout';

describe('defineStruct', () => {
  const layout = defineStruct(
    'Mixed',
    [
      { name: 'a', type: 'u32', doc: 'first' },
      { name: 'key', type: 'vec2<u32>', doc: 'aligned to 8' },
      { name: 'b', type: 'f32', doc: 'after the vec2' },
      { name: 'v', type: 'vec4<f32>', doc: 'aligned to 16' },
      { name: 'c', type: 'i32', doc: 'last' },
    ],
    'storage',
  );

  it('places fields as WGSL does (vec2 at 8, vec4 at 16) and rounds the size to the struct alignment', () => {
    expect(layout.fields.map((f) => f.offset)).toEqual([0, 8, 16, 32, 48]);
    expect(layout.size).toBe(64);
  });

  it('gives a uniform struct a size that is a multiple of 16', () => {
    const small = defineStruct('Small', [{ name: 'x', type: 'u32', doc: '' }], 'uniform');
    expect(small.size).toBe(16);
    expect(defineStruct('Small', [{ name: 'x', type: 'u32', doc: '' }], 'storage').size).toBe(4);
  });

  it('writes the WGSL declaration with every field and its doc', () => {
    expect(layout.wgsl).toBe(
      [
        'struct Mixed {',
        '  a: u32, // first',
        '  key: vec2<u32>, // aligned to 8',
        '  b: f32, // after the vec2',
        '  v: vec4<f32>, // aligned to 16',
        '  c: i32, // last',
        '}',
      ].join('\n'),
    );
  });

  it('packs and unpacks every field, at an offset too', () => {
    const values = { a: 7, key: [1, 2 ** 32 - 1], b: 0.5, v: [1, -2, 3.25, 4], c: -9 };
    expect(layout.unpack(new DataView(layout.pack(values)))).toEqual(values);
    const view = new DataView(new ArrayBuffer(3 * layout.size));
    layout.pack(values, view, layout.size);
    expect(layout.unpack(view, layout.size)).toEqual(values);
    expect(new Uint32Array(view.buffer, 0, layout.size / 4).every((w) => w === 0)).toBe(true);
  });

  it('refuses a value with the wrong number of lanes, naming the field', () => {
    expect(() => layout.pack({ a: 1, key: [1], b: 0, v: [0, 0, 0, 0], c: 0 })).toThrow(/Mixed\.key/);
  });
});

describe('defineBindGroup', () => {
  it('numbers the bindings in order and gives the same order to the pipeline layout', () => {
    const group = defineBindGroup(1, [
      { name: 'params', kind: 'uniform', type: 'Params', doc: 'p' },
      { name: 'data', kind: 'read', type: 'array<f32>', doc: 'd' },
      { name: 'out', kind: 'read_write', type: 'array<vec4<f32>>', doc: 'o' },
    ]);
    expect(group.wgsl.split('\n')).toEqual([
      '@group(1) @binding(0) var<uniform> params: Params; // p',
      '@group(1) @binding(1) var<storage, read> data: array<f32>; // d',
      '@group(1) @binding(2) var<storage, read_write> out: array<vec4<f32>>; // o',
    ]);
    expect(group.kinds).toEqual(['uniform', 'read', 'read_write']);
  });
});
