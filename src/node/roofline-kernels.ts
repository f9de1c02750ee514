/** The roofline microbenchmark kernels read from shaders/roofline/ (the page bundles the same files). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RooflineKernels } from '../gpu/roofline';
import { SHADER_DIR } from './shaders';

export function loadRooflineKernels(dir = join(SHADER_DIR, 'roofline')): RooflineKernels {
  return {
    copy: readFileSync(join(dir, 'copy_bandwidth.wgsl'), 'utf8'),
    fma: readFileSync(join(dir, 'fma_throughput.wgsl'), 'utf8'),
  };
}
