import { defineConfig } from 'vite';

// The CLI as one Node ES module (WGSL inlined through ?raw), for `npx webgpu-vi` once installed.
// From a clone, `npm run fit` runs the TypeScript directly through vite-node instead.
export default defineConfig({
  build: {
    ssr: 'src/cli/main.ts',
    outDir: 'dist-node',
    emptyOutDir: true,
    target: 'node20',
    rollupOptions: { output: { entryFileNames: 'webgpu-vi.js', banner: '#!/usr/bin/env node' } },
  },
  ssr: { external: ['webgpu'] },
});
