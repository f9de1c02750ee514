/**
 * A model's forward pass with every layer's attention on the playground's kernels: the forward step
 * of src/core/model/forward.ts (float32 activations, the rest of the network on the CPU) whose
 * attention hook is one engine run per layer (all heads at once, the variant and any edited kernels
 * the caller chose). What each run returned is kept, so each head can be checked against the float64
 * reference (src/core/model/check.ts) and drawn.
 */
import type { AttentionEngine, RunOptions, RunResult } from './engine';
import type { ModelWeights } from '../core/model/config';
import type { AttentionCall, KvCache, StepResult } from '../core/model/forward';
import { forwardStep } from '../core/model/forward';
import type { LayerGpuStages } from '../core/model/check';
import type { ModelConfig } from '../core/model/config';
import { LimitError } from './errors';

export interface ModelLayerRun {
  call: AttentionCall;
  result: RunResult;
}

export interface ModelStepRun {
  /** The step's logits (last token), float32 values, and the cache after it. */
  step: StepResult;
  /** One engine run per layer, in order. */
  layers: ModelLayerRun[];
  /** Milliseconds per layer, wall clock of its engine run (input checks, buffers, upload, GPU and read-back). */
  layerMs: number[];
}

export type ModelRunOptions = Omit<RunOptions, 'rows' | 'onBlock' | 'lastStage' | 'intermediates'> & {
  /** Called after each layer's attention. */
  onLayer?: (layer: number, layers: number) => void;
};

/** Runs the new tokens `ids` after the cached ones, each layer's attention through `engine`. */
export async function runModelStep(
  engine: AttentionEngine,
  weights: ModelWeights,
  cache: KvCache,
  ids: readonly number[],
  options: ModelRunOptions = {},
): Promise<ModelStepRun> {
  const { onLayer, ...run } = options;
  const layers: ModelLayerRun[] = [];
  const layerMs: number[] = [];
  const step = await forwardStep(
    weights,
    cache,
    ids,
    async (call) => {
      const started = performance.now();
      // Intermediates: the three-pass variants return scores and probabilities (drawn and checked);
      // with RoPE every variant returns the rotated Q and K.
      const result = await engine.run(call.inputs, call.options, { ...run, intermediates: true });
      layerMs.push(performance.now() - started);
      layers.push({ call, result });
      onLayer?.(call.layer, weights.config.layers);
      return result.output.data;
    },
    { float32: true },
  );
  return { step, layers, layerMs };
}

/** A layer run's GPU tensors in the form the head checks take. */
export function layerStages(result: RunResult): LayerGpuStages {
  return {
    rotated: result.rotated,
    scores: result.scores,
    probs: result.probs,
    output: result.output.data,
    onlineSoftmax: result.onlineSoftmax,
    precision: result.precision,
  };
}

/**
 * Refuses a model whose attention cannot run on this device at its full context: the weights stay on
 * the CPU, but a layer's K and V for every position (and the engine's row blocks of scores) go to
 * the GPU, and K and V are not split. Throws LimitError naming the limit.
 */
export function checkModelFitsDevice(config: ModelConfig, limits: { maxStorageBufferBindingSize: number; maxBufferSize: number }): void {
  const binding = Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize);
  const kvBytes = config.contextLength * config.kvHeads * config.headDim * 4;
  if (kvBytes > binding)
    throw new LimitError(
      'maxStorageBufferBindingSize',
      kvBytes,
      binding,
      `${config.name}'s keys at its full context (${config.contextLength} positions × ${config.kvHeads} kv heads × ${config.headDim})`,
    );
  // One query row of scores for every head must fit, or no row block does.
  const rowBytes = config.heads * config.contextLength * 4;
  if (rowBytes > binding)
    throw new LimitError(
      'maxStorageBufferBindingSize',
      rowBytes,
      binding,
      `one row of ${config.name}'s scores (${config.heads} heads × ${config.contextLength} keys)`,
    );
}
