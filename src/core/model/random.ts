/**
 * A model with seeded random weights of any configuration: for tests of the loaders and the forward
 * passes before (or without) a trained one. Weights are scaled like a fresh initialisation (1/√fan-in)
 * so activations stay of order one through the layers.
 */
import { createRng } from '../rng';
import type { LayerWeights, ModelConfig, ModelWeights, Weight } from './config';

export function randomModelWeights(config: ModelConfig, seed: number): ModelWeights {
  const rng = createRng(seed);
  const values = (count: number, scale: number, around = 0) => {
    const data = new Float32Array(count);
    for (let i = 0; i < count; i++) data[i] = around + (rng.next() * 2 - 1) * scale;
    return data;
  };
  const weight = (rows: number, cols: number, scale = 1 / Math.sqrt(cols)): Weight => ({ rows, cols, data: values(rows * cols, scale) });
  const gpt2 = config.architecture === 'gpt2';
  const bias = (count: number) => (gpt2 ? values(count, 0.05) : null);
  const { dModel, heads, kvHeads, headDim, ffnDim } = config;
  const layers: LayerWeights[] = [];
  for (let l = 0; l < config.layers; l++) {
    layers.push({
      attnNorm: values(dModel, 0.1, 1),
      attnNormBias: bias(dModel),
      wq: weight(heads * headDim, dModel),
      wk: weight(kvHeads * headDim, dModel),
      wv: weight(kvHeads * headDim, dModel),
      wo: weight(dModel, heads * headDim),
      bq: bias(heads * headDim),
      bk: bias(kvHeads * headDim),
      bv: bias(kvHeads * headDim),
      bo: bias(dModel),
      mlpNorm: values(dModel, 0.1, 1),
      mlpNormBias: bias(dModel),
      gate: gpt2 ? null : weight(ffnDim, dModel),
      up: weight(ffnDim, dModel),
      down: weight(dModel, ffnDim),
      upBias: bias(ffnDim),
      downBias: bias(dModel),
    });
  }
  const tokenEmbedding = weight(config.vocabSize, dModel, 1);
  return {
    config,
    tokenEmbedding,
    positionEmbedding: gpt2 ? weight(config.contextLength, dModel, 0.5) : null,
    layers,
    finalNorm: values(dModel, 0.1, 1),
    finalNormBias: bias(dModel),
    lmHead: config.tiedEmbeddings ? tokenEmbedding : weight(config.vocabSize, dModel),
  };
}

/** A small configuration of either family, for tests. */
export function smallConfig(architecture: ModelConfig['architecture'] = 'llama', overrides: Partial<ModelConfig> = {}): ModelConfig {
  return {
    architecture,
    name: `random-${architecture}`,
    vocabSize: 50,
    dModel: 32,
    layers: 2,
    heads: 4,
    kvHeads: architecture === 'llama' ? 2 : 4,
    headDim: 8,
    ffnDim: 64,
    contextLength: 64,
    normEps: 1e-5,
    rope: architecture === 'llama' ? { base: 10000, layout: 'half' } : null,
    tiedEmbeddings: architecture === 'gpt2',
    ...overrides,
  };
}
