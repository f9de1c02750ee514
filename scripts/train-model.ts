/**
 * npm run train-model — trains the playground's built-in Llama-style model on generated text
 * (scripts/lib/train/data.ts) with TensorFlow.js, and writes it as Hugging Face files with the
 * roles its heads learned (docs/model.md).
 */
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import type { ModelConfig } from '../src/core/model/config';
import { ROLE_METHOD, headRoleLabel } from '../src/core/model/roles';
import type { ModelRoles } from '../src/core/model/roles';
import { EXIT, UsageError, integer, main, makeFolder, number, parseFlags, writableFolder } from './lib/cli';
import { describeData, vocabulary } from './lib/train/data';
import type { DataOptions } from './lib/train/data';
import { hfConfig, safetensorsBytes, tokenizerConfigJson, tokenizerJson } from './lib/train/export';
import { train } from './lib/train/loop';

// tfjs-core's Node bundle registers no gradients; its ES module build does (tsx loads it through require).
createRequire(import.meta.url)('@tensorflow/tfjs-core/dist/register_all_gradients.js');

const USAGE = `usage: npm run train-model -- [--steps N] [--seed S] [--out DIR] [--quick] [--backend wasm|cpu]

Trains the built-in model (a small Llama: RMSNorm, RoPE, grouped-query attention, SwiGLU, tied
embeddings) on generated stories and repeats, prints the loss curve and the roles of its heads, and
writes model.safetensors, config.json, tokenizer.json, tokenizer_config.json, roles.json and
training.json to DIR.

  --steps N         training steps (default 2600; --quick: 30)
  --seed S          seed of the initialisation and the data (default 21)
  --out DIR         where the files go (default src/assets/model)
  --quick           a tiny run for tests: a smaller batch, fewer held-out sequences
  --backend NAME    TensorFlow.js backend: wasm (default, XNNPACK) or cpu (plain JavaScript)
  --lr X            peak learning rate (default 0.003)
  --batch N         sequences per step (default 16)
  --layers N, --heads N, --kv-heads N, --head-dim N
                    the model's shape (default 2 layers, 4 query heads, 2 key/value heads of 16)
  --rope-base X     RoPE's θ (default 1000: its frequencies spread over a 64-token context)
  --init-std X      std of the initial linear weights (default 1/√fan-in)
  --repeat-share X  share of training sequences that are repeats (default 0.5)`;

/** Checked by running twice (sha256 of model.safetensors) on the 2-core development machine, Node 20. */
const DETERMINISM =
  'Bit-deterministic: the same seed and flags give byte-identical files on the same machine, on the wasm backend (XNNPACK, one thread) and on the cpu backend alike; wasm and cpu differ from each other in the last bits, and another CPU or build may too.';

const MODEL_CONFIG: ModelConfig = {
  architecture: 'llama',
  name: 'attention-playground-tiny-llama',
  vocabSize: vocabulary().length,
  dModel: 64,
  layers: 2,
  heads: 4,
  kvHeads: 2,
  headDim: 16,
  ffnDim: 128,
  contextLength: 64,
  normEps: 1e-5,
  rope: { base: 1000, layout: 'half' },
  tiedEmbeddings: true,
};

async function command(argv: string[]): Promise<number> {
  const { values } = parseFlags({
    args: argv,
    options: {
      steps: { type: 'string' },
      seed: { type: 'string' },
      out: { type: 'string' },
      quick: { type: 'boolean' },
      backend: { type: 'string' },
      lr: { type: 'string' },
      batch: { type: 'string' },
      'repeat-share': { type: 'string' },
      'init-std': { type: 'string' },
      layers: { type: 'string' },
      heads: { type: 'string' },
      'kv-heads': { type: 'string' },
      'head-dim': { type: 'string' },
      'rope-base': { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return EXIT.ok;
  }
  const quick = values.quick ?? false;
  const steps = integer(values.steps, 'steps', { min: 1 }) ?? (quick ? 30 : 2600);
  const seed = integer(values.seed, 'seed') ?? 21;
  const out = writableFolder(values.out ?? 'src/assets/model', '--out');
  const backend = values.backend ?? 'wasm';
  if (backend !== 'wasm' && backend !== 'cpu') throw new UsageError(`--backend must be wasm or cpu, got "${backend}"`);
  const learningRate = number(values.lr, 'lr') ?? 3e-3;
  const batch = integer(values.batch, 'batch', { min: 1 }) ?? (quick ? 8 : 16);

  const initStd = number(values['init-std'], 'init-std') ?? null;

  await tf.setBackend(backend);
  await tf.ready();
  const vocab = vocabulary();
  const config: ModelConfig = {
    ...MODEL_CONFIG,
    layers: integer(values.layers, 'layers', { min: 1 }) ?? MODEL_CONFIG.layers,
    heads: integer(values.heads, 'heads', { min: 1 }) ?? MODEL_CONFIG.heads,
    kvHeads: integer(values['kv-heads'], 'kv-heads', { min: 1 }) ?? MODEL_CONFIG.kvHeads,
    headDim: integer(values['head-dim'], 'head-dim', { min: 2 }) ?? MODEL_CONFIG.headDim,
    rope: { ...MODEL_CONFIG.rope!, base: number(values['rope-base'], 'rope-base') ?? MODEL_CONFIG.rope!.base },
  };
  if (config.heads % config.kvHeads !== 0)
    throw new UsageError(`--heads ${config.heads} is not a multiple of --kv-heads ${config.kvHeads}`);
  if (config.headDim % 2 !== 0) throw new UsageError(`--head-dim must be even for RoPE, got ${config.headDim}`);
  const data: DataOptions = { seed, context: config.contextLength, repeatShare: number(values['repeat-share'], 'repeat-share') ?? 0.5 };
  console.log(
    `training ${config.name}: ${config.layers} layers, d_model ${config.dModel}, ${config.heads} query heads sharing ${config.kvHeads} key/value heads of ${config.headDim}, ` +
      `ffn ${config.ffnDim}, context ${config.contextLength}, RoPE θ ${config.rope!.base}, vocabulary ${vocab.length} words; ${steps} steps of ${batch} sequences, seed ${seed}, tfjs ${backend} backend`,
  );
  console.log(DETERMINISM);
  const shapeFlags =
    config.layers === MODEL_CONFIG.layers &&
    config.heads === MODEL_CONFIG.heads &&
    config.kvHeads === MODEL_CONFIG.kvHeads &&
    config.headDim === MODEL_CONFIG.headDim &&
    config.rope!.base === MODEL_CONFIG.rope!.base
      ? ''
      : ` --layers ${config.layers} --heads ${config.heads} --kv-heads ${config.kvHeads} --head-dim ${config.headDim} --rope-base ${config.rope!.base}`;
  const started = performance.now();
  const result = train({
    config,
    data,
    vocab,
    steps,
    batch,
    learningRate,
    warmup: Math.min(50, Math.ceil(steps / 10)),
    seed,
    initStd,
    evalEvery: quick ? 10 : 50,
    heldOutStories: quick ? 8 : 48,
    heldOutRepeats: quick ? 8 : 48,
    log: (line) => console.log(line),
  });
  const wallSeconds = (performance.now() - started) / 1000;

  const tensors = [...result.model.variables].map(([name, v]) => ({ name, shape: v.shape, data: v.dataSync() as Float32Array }));
  const roles: ModelRoles = {
    method: ROLE_METHOD,
    heldOut: {
      'previous-token': result.heldOutCounts.stories + result.heldOutCounts.repeats,
      induction: result.heldOutCounts.repeats,
      antecedent: result.heldOutCounts.stories,
    },
    heads: result.roles,
  };
  const last = result.curve[result.curve.length - 1];
  const training = {
    command: `npm run train-model -- --steps ${steps} --seed ${seed}${quick ? ' --quick' : ''} --backend ${backend} --lr ${learningRate} --batch ${batch} --repeat-share ${data.repeatShare}${shapeFlags}${initStd === null ? '' : ` --init-std ${initStd}`}`,
    seed,
    steps,
    batch,
    learningRate,
    backend,
    deterministic: DETERMINISM,
    wallSeconds: Math.round(wallSeconds * 10) / 10,
    finalTrainLoss: last.train,
    finalHeldOutLoss: last.heldOut,
    data: describeData(data),
    heldOut: result.heldOutCounts,
    curve: result.curve.filter((p) => p.heldOut !== null),
    trainCurve: result.curve.map((p) => Math.round(p.train * 1e4) / 1e4),
  };

  makeFolder(out);
  const json = (name: string, value: unknown) => writeFileSync(join(out, name), JSON.stringify(value, null, 2) + '\n');
  writeFileSync(join(out, 'model.safetensors'), safetensorsBytes(tensors, config));
  json('config.json', hfConfig(config, vocab));
  json('tokenizer.json', tokenizerJson(vocab));
  json('tokenizer_config.json', tokenizerConfigJson(config));
  json('roles.json', roles);
  json('training.json', training);

  console.log('\nlayer head  previous-token  induction  antecedent  role');
  for (const h of result.roles)
    console.log(
      `${String(h.layer).padStart(5)} ${String(h.head).padStart(4)}  ${h.previousToken.toFixed(3).padStart(14)}  ${h.induction.toFixed(3).padStart(9)}  ${h.antecedent.toFixed(3).padStart(10)}  ${headRoleLabel(h) ?? '—'}`,
    );
  const best = (key: 'previousToken' | 'induction' | 'antecedent') => Math.max(...result.roles.map((h) => h[key]));
  console.log(
    `\nbest heads: previous-token ${best('previousToken').toFixed(3)} (target 0.9), induction ${best('induction').toFixed(3)} (target 0.5), antecedent ${best('antecedent').toFixed(3)} (target 0.9)`,
  );
  console.log(
    `final loss: train ${last.train.toFixed(4)}, held-out ${last.heldOut!.toFixed(4)}; wall time ${wallSeconds.toFixed(1)} s; files in ${out}`,
  );
  return EXIT.ok;
}

await main(command, { usage: USAGE });
