import { readFileSync } from 'node:fs';
import { AttentionEngine } from './src/gpu/engine';
import { loadShaderLibrary } from './src/node/shaders';
import { requestAttentionDevice } from './src/gpu/device';
import { nodeGpu } from './src/node/webgpu';
import { randomMatrix } from './src/core/rng';
const { device } = await requestAttentionDevice(await nodeGpu());
const engine = new AttentionEngine(device, loadShaderLibrary());
const prev = readFileSync(process.argv[2], 'utf8');
const [n, m, heads, kv, rounds] = process.argv.slice(3).map(Number);
const inputs = { q: randomMatrix(n, heads * 64, 1), k: randomMatrix(m, kv * 64, 2), v: randomMatrix(m, kv * 64, 3), mask: null };
const options = { heads, kvHeads: kv, causal: true };
const t: Record<string, number[]> = { now: [], prev: [] };
for (let r = 0; r <= rounds; r++) {
  for (const s of (r % 2 ? ['now', 'prev'] : ['prev', 'now']) as const) {
    const res = await engine.run(inputs, options, { variant: 'fused', subgroups: 'off', ...(s === 'prev' ? { kernels: { fused: prev } } : {}) });
    if (r > 0) t[s].push(res.gpuSpanMs!);
  }
}
const med = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const ratios = t.now.map((a, i) => t.prev[i] / a);
console.log(`n=${n} m=${m} h=${heads}/${kv}: now ${med(t.now).toFixed(1)} prev ${med(t.prev).toFixed(1)} ms; prev/now paired median ${med(ratios).toFixed(3)} (${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)})`);
process.exit(0);
