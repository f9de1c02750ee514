import { AttentionEngine } from './src/gpu/engine';
import { loadShaderLibrary } from './src/node/shaders';
import { requestAttentionDevice } from './src/gpu/device';
import { nodeGpu } from './src/node/webgpu';
import { randomMatrix } from './src/core/rng';
const { device } = await requestAttentionDevice(await nodeGpu());
const engine = new AttentionEngine(device, loadShaderLibrary());
const m = Number(process.argv[2] ?? 8192), splits = Number(process.argv[3] ?? 1);
const inputs = { q: randomMatrix(1, 8 * 64, 1), k: randomMatrix(m, 2 * 64, 2), v: randomMatrix(m, 2 * 64, 3), mask: null };
const options = { heads: 8, kvHeads: 2, causal: true };
const t: Record<string, number[]> = { auto: [], off: [] };
for (let r = 0; r < 12; r++) {
  for (const s of (r % 2 ? ['auto', 'off'] : ['off', 'auto']) as const) {
    const res = await engine.run(inputs, options, { variant: 'fused', keySplits: splits, subgroups: s });
    if (r > 0) t[s].push(res.gpuSpanMs!);
  }
}
const med = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const ratios = t.auto.map((a, i) => t.off[i] / a);
console.log(`m=${m} splits=${splits} auto ${med(t.auto).toFixed(1)} off ${med(t.off).toFixed(1)} ms; off/auto paired median ${med(ratios).toFixed(3)} (${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)})`);
process.exit(0);
