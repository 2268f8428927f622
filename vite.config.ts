import { defineConfig } from 'vitest/config';

// One config for the page (Vite), the Node scripts (vite-node) and the tests (Vitest).
export default defineConfig({
  build: {
    target: 'es2022',
    rollupOptions: {
      // The Dawn loader (src/gpu/dawn.ts) is only ever imported dynamically, and only in Node;
      // keeping its Node-only imports external lets the browser bundle build without them.
      external: ['webgpu', /^node:/],
    },
  },
  worker: {
    format: 'es',
    // The engine worker imports src/gpu/device.ts too: keep Dawn out of its bundle as well.
    rollupOptions: { external: ['webgpu', /^node:/] },
  },
  test: {
    exclude: ['node_modules/**'],
    // GPU tests share one CPU Vulkan driver (SwiftShader) that already uses every core:
    // running files side by side only makes each slower and risks time-outs.
    fileParallelism: false,
    pool: 'forks',
    testTimeout: 180_000,
    hookTimeout: 120_000,
    reporters: ['default'],
    // Three tiers, run one after the other (groupOrder) and reported by name: `npm test` runs them all,
    // `npx vitest run --project unit` one of them.
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'], sequence: { groupOrder: 0 } },
      },
      {
        extends: true,
        test: { name: 'gpu', include: ['test/gpu/**/*.test.ts'], sequence: { groupOrder: 1 } },
      },
      // test/e2e builds the page and drives Chromium (playwright-core).
      {
        extends: true,
        test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'], sequence: { groupOrder: 2 } },
      },
    ],
  },
});
