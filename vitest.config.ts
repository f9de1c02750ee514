import { defineConfig } from 'vitest/config';
import { configureVulkanEnvironment } from './src/node/webgpu';

// Set here rather than in test.env: this reaches every worker pool (see ../shared/ECOSYSTEM.md).
configureVulkanEnvironment();

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    pool: 'forks',
    // SwiftShader runs shaders on the CPU; two cores are shared by every worker.
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 180_000,
    reporters: process.env.CI ? ['default'] : ['default'],
  },
});
