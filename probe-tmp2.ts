import { readFileSync } from 'node:fs';
import { AttentionEngine } from './src/gpu/engine';
import { loadShaderLibrary } from './src/node/shaders';
import { requestAttentionDevice } from './src/gpu/device';
import { nodeGpu } from './src/node/webgpu';
import { randomMatrix } from './src/core/rng';
import { halfStorageSource } from './src/gpu/half-storage';
const { device } = await requestAttentionDevice(await nodeGpu());
const shaders = loadShaderLibrary();
const engine = new AttentionEngine(device, shaders);
const prev = readFileSync('/tmp/fa_prev.wgsl', 'utf8');
const prevHalf = halfStorageSource(prev, { ...shaders, 'storage/f16.wgsl': readFileSync('/tmp/f16_prev.wgsl', 'utf8') });
let all = true;
for (const [n, m, dk, dv] of [[3, 300, 64, 64], [70, 130, 7, 5], [5, 257, 13, 20], [100, 90, 130, 129], [1, 500, 6, 3]]) {
  const inputs = { q: randomMatrix(n, 4 * dk, 1), k: randomMatrix(m, 2 * dk, 2), v: randomMatrix(m, 2 * dv, 3), mask: null };
  const options = { heads: 4, kvHeads: 2, causal: true };
  for (const precision of ['f32', 'f16'] as const) {
    const a = await engine.run(inputs, options, { variant: 'fused', keySplits: 3, subgroups: 'off', precision });
    const b = await engine.run(inputs, options, { variant: 'fused', keySplits: 3, precision: precision, kernels: { fused: precision === 'f16' ? prevHalf : prev } });
    const same = a.output.data.every((x, i) => Object.is(x, b.output.data[i]));
    all &&= same;
    console.log(n, m, dk, dv, precision, same);
  }
}
console.log('all identical', all);
process.exit(0);
