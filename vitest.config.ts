import { defineConfig } from 'vitest/config';
import { configureVulkanEnvironment } from './src/node/webgpu.ts';

// Vulkan → SwiftShader is set here, in the main process, rather than in test.env: every worker pool
// inherits the main process's environment, while test.env reached only the `forks` pool (vitest 4.1).
configureVulkanEnvironment();

export default defineConfig({
  test: {
    pool: 'forks',
    // SwiftShader runs shaders on the CPU; two cores are shared by every worker.
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 300_000,
    projects: [
      { extends: true, test: { name: 'unit', include: ['tests/**/*.test.ts'], exclude: ['tests/e2e/**'] } },
      // End-to-end: the built page in headless Chromium; the build happens once, in globalSetup.
      {
        extends: true,
        test: { name: 'e2e', include: ['tests/e2e/**/*.e2e.test.ts'], globalSetup: ['tests/e2e/global-setup.ts'], maxWorkers: 1 },
      },
    ],
  },
});
