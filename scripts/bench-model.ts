/**
 * npm run bench:model -- [--model FILE|DIR] [--tokens N] [--variants naive,tiled,fused] [--storage f32|f16] [--repeats R] [--json]
 *
 * Times a model's forward pass with its attention on the playground's kernels, as the model view
 * runs it: per layer, the engine run of that layer's attention (all heads; upload, dispatch and
 * read-back, wall clock); the rest of the pass on the CPU; the float64 checks (every head, and the
 * logits against the float64 forward pass). --storage f16 stores Q, K and V as halves in the layers
 * that can have it, as the page's storage select does (a note says which cannot, and why). Medians of R runs over an N-token text. Prints numbers;
 * asserts nothing. Name the adapter when you quote them (SwiftShader is CPU emulation).
 */
import { emptyCache } from '../src/core/model/forward';
import { checkLayerHeads, checkLogits } from '../src/core/model/check';
import { layerPrecisions, modelRunPrecision, storageNote } from '../src/core/model/storage';
import { PRECISIONS } from '../src/core/precision';
import { median } from '../src/core/stats';
import { AttentionEngine } from '../src/gpu/engine';
import { layerStages, runModelStep } from '../src/gpu/model-run';
import { isVariant, VARIANT_NAMES } from '../src/gpu/variants';
import type { VariantName } from '../src/gpu/variants';
import { loadShaderLibrary } from '../src/node/shaders';
import { loadModel } from '../src/model/load';
import { EXIT, integer, list, main, openDevice, parseFlags, UsageError } from './lib/cli';
import { BUILTIN_MODEL_DIR, readModelFiles } from './lib/model-files';
import { STORAGE_HELP, storageFlag } from './lib/model-storage';

const USAGE = `usage: npm run bench:model -- [--model FILE|DIR] [--tokens N] [--variants ${VARIANT_NAMES.join(',')}] [--storage ${PRECISIONS.join('|')}] [--repeats R] [--json]
${STORAGE_HELP}`;
const TEXT =
  'the cat sat on the mat because it was warm . the dog chased the ball because it was bouncing . the animal did not cross the street because it was tired .';

async function benchModel(argv: string[]): Promise<number> {
  const v = parseFlags({
    args: argv,
    options: {
      model: { type: 'string' },
      tokens: { type: 'string' },
      variants: { type: 'string' },
      storage: { type: 'string' },
      repeats: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean' },
    },
  }).values;
  if (v.help) {
    console.log(USAGE);
    return EXIT.ok;
  }
  const variants = (list(v.variants) ?? [...VARIANT_NAMES]).map((name) => {
    if (!isVariant(name)) throw new UsageError(`--variants: unknown variant "${name}" (${VARIANT_NAMES.join(', ')})`);
    return name as VariantName;
  });
  const repeats = integer(v.repeats, 'repeats', { min: 1 }) ?? 5;
  const storage = storageFlag(v.storage);
  const precision = modelRunPrecision(storage);
  const model = await loadModel(readModelFiles(v.model ?? BUILTIN_MODEL_DIR));
  const config = model.weights.config;
  const wanted = integer(v.tokens, 'tokens', { min: 1 }) ?? 32;
  let ids = model.tokenizer.encode(TEXT);
  while (ids.length < wanted) ids = [...ids, ...ids];
  ids = ids.slice(0, Math.min(wanted, config.contextLength));
  const { device, adapter } = await openDevice();
  try {
    const engine = new AttentionEngine(device, loadShaderLibrary());
    const rows = [];
    for (const variant of variants) {
      // Warm-up: pipelines compile. Its layers' storage is every repeat's (the same inputs).
      const warm = await runModelStep(engine, model.weights, emptyCache(config), ids, { variant, precision });
      const precisions = layerPrecisions(warm.layers);
      const layerMs: number[][] = Array.from({ length: config.layers }, () => []);
      const totalMs: number[] = [];
      const checkMs: number[] = [];
      for (let r = 0; r < repeats; r++) {
        const started = performance.now();
        const run = await runModelStep(engine, model.weights, emptyCache(config), ids, { variant, precision });
        totalMs.push(performance.now() - started);
        run.layerMs.forEach((ms, l) => layerMs[l].push(ms));
        const checked = performance.now();
        for (const { call, result } of run.layers) checkLayerHeads(call, layerStages(result));
        await checkLogits(model.weights, ids, run.step.logits, { onlineSoftmax: run.layers[0].result.onlineSoftmax, precisions });
        checkMs.push(performance.now() - checked);
      }
      const perLayer = layerMs.map((samples) => median(samples));
      const total = median(totalMs);
      rows.push({
        variant,
        perLayerMs: perLayer,
        attentionMs: perLayer.reduce((a, b) => a + b, 0),
        totalMs: total,
        checkMs: median(checkMs),
        layerStorage: precisions,
        storageNote: storageNote(storage, warm.layers),
      });
    }
    if (v.json) {
      console.log(JSON.stringify({ adapter, model: config.name, tokens: ids.length, repeats, storage, rows }));
      return EXIT.ok;
    }
    console.log(
      `model ${config.name}: ${config.layers} layers × ${config.heads} heads, ${ids.length} tokens, storage ${storage}, median of ${repeats}, on ${adapter}`,
    );
    console.log('variant   ' + perLayerHeader(config.layers) + '  attention  rest(CPU)  forward  float64 checks');
    for (const r of rows) {
      console.log(
        `${r.variant.padEnd(9)} ${r.perLayerMs.map((ms) => ms.toFixed(1).padStart(8)).join('')}  ${r.attentionMs.toFixed(1).padStart(9)}  ${(r.totalMs - r.attentionMs).toFixed(1).padStart(9)}  ${r.totalMs.toFixed(1).padStart(7)}  ${r.checkMs.toFixed(1).padStart(14)}`,
      );
    }
    console.log('milliseconds, wall clock; a layer is one engine run of all its heads (upload, kernels, read-back)');
    for (const r of rows) if (r.storageNote) console.log(`${r.variant}: ${r.storageNote}`);
    return EXIT.ok;
  } finally {
    device.destroy();
  }
}

function perLayerHeader(layers: number): string {
  return Array.from({ length: layers }, (_, l) => `layer ${l}`.padStart(8)).join('');
}

await main(benchModel, { usage: USAGE });
