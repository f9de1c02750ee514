/**
 * Training the built-in model: Adam with warm-up and cosine decay, gradients by TensorFlow.js's
 * automatic differentiation (tf.variableGrads), clipped by global norm; the held-out loss on a fixed
 * set; the head roles measured on held-out sequences from the attention probabilities.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ModelConfig } from '../../../src/core/model/config';
import { antecedentCount, inductionCount, previousTokenCount, shareOf } from '../../../src/core/model/roles';
import type { HeadRoleScores, RoleCount } from '../../../src/core/model/roles';
import type { DataOptions, Sequence } from './data';
import { heldOutSet, trainingStream } from './data';
import { forward, initModel, lossOf } from './model';
import type { TrainableModel } from './model';

export interface TrainOptions {
  config: ModelConfig;
  data: DataOptions;
  vocab: readonly string[];
  steps: number;
  batch: number;
  learningRate: number;
  warmup: number;
  seed: number;
  /** Std of the linear layers' initial weights; null: 1/√fan-in. */
  initStd: number | null;
  /** Held-out loss every this many steps (and at the first and last). */
  evalEvery: number;
  heldOutStories: number;
  heldOutRepeats: number;
  log: (line: string) => void;
}

export interface CurvePoint {
  step: number;
  train: number;
  heldOut: number | null;
  /** The held-out loss on stories and on repeats alone. */
  heldOutStories: number | null;
  heldOutRepeats: number | null;
  seconds: number;
}

export interface TrainResult {
  model: TrainableModel;
  curve: CurvePoint[];
  roles: HeadRoleScores[];
  heldOutCounts: { stories: number; repeats: number; pronouns: number };
}

export function encodeWords(words: readonly string[], vocab: readonly string[]): number[] {
  const index = new Map(vocab.map((w, i) => [w, i]));
  return words.map((w) => {
    const id = index.get(w);
    if (id === undefined) throw new Error(`the word "${w}" is not in the vocabulary`);
    return id;
  });
}

function batchTensor(seqs: readonly Sequence[], vocab: readonly string[], length: number): tf.Tensor2D {
  const ids = new Int32Array(seqs.length * length);
  seqs.forEach((s, b) => {
    const row = encodeWords(s.words, vocab);
    if (row.length !== length) throw new Error(`a training sequence has ${row.length} tokens, expected ${length}`);
    ids.set(row, b * length);
  });
  return tf.tensor2d(ids, [seqs.length, length], 'int32');
}

function learningRateAt(step: number, options: TrainOptions): number {
  if (step < options.warmup) return (options.learningRate * (step + 1)) / options.warmup;
  const progress = (step - options.warmup) / Math.max(1, options.steps - options.warmup);
  return options.learningRate * (0.1 + 0.9 * 0.5 * (1 + Math.cos(Math.PI * Math.min(1, progress))));
}

/** Mean loss over sequences of possibly different lengths, grouped by length. */
function meanLoss(model: TrainableModel, seqs: readonly Sequence[], vocab: readonly string[]): number {
  const byLength = new Map<number, Sequence[]>();
  for (const s of seqs) byLength.set(s.words.length, [...(byLength.get(s.words.length) ?? []), s]);
  let sum = 0;
  let count = 0;
  for (const [length, group] of byLength) {
    const loss = tf.tidy(() => lossOf(model, batchTensor(group, vocab, length)).dataSync()[0]);
    sum += loss * group.length * (length - 1);
    count += group.length * (length - 1);
  }
  return sum / count;
}

/** Per layer and head, the role counts over the sequences. */
function measureRoles(model: TrainableModel, stories: readonly Sequence[], repeats: readonly Sequence[], vocab: readonly string[]) {
  const { layers, heads } = model.config;
  const counts = Array.from({ length: layers * heads }, () => ({
    previous: [] as RoleCount[],
    induction: [] as RoleCount[],
    antecedent: [] as RoleCount[],
  }));
  for (const seq of [...stories, ...repeats]) {
    const n = seq.words.length;
    const probs = tf.tidy(() => {
      const { attention } = forward(model, batchTensor([seq], vocab, n), true);
      return attention.map((a) => a.dataSync() as Float32Array);
    });
    for (let l = 0; l < layers; l++) {
      for (let h = 0; h < heads; h++) {
        const pattern = probs[l].subarray(h * n * n, (h + 1) * n * n);
        const c = counts[l * heads + h];
        c.previous.push(previousTokenCount(pattern));
        if (seq.kind === 'repeat') c.induction.push(inductionCount(pattern, { start: 1, span: seq.span }));
        else c.antecedent.push(antecedentCount(pattern, seq.links));
      }
    }
  }
  return counts.map((c, i) => ({
    layer: Math.floor(i / heads),
    head: i % heads,
    previousToken: shareOf(c.previous),
    induction: shareOf(c.induction),
    antecedent: shareOf(c.antecedent),
  }));
}

export function train(options: TrainOptions): TrainResult {
  const { config, data, vocab, log } = options;
  const model = initModel(config, options.seed, options.initStd);
  const next = trainingStream(data);
  const heldOut = heldOutSet(data, options.heldOutStories, options.heldOutRepeats);
  const optimizer = tf.train.adam(options.learningRate, 0.9, 0.98, 1e-8);
  const variables = [...model.variables.values()];
  const curve: CurvePoint[] = [];
  const start = performance.now();
  log('step  train loss  held-out loss  (stories  repeats)  seconds');
  for (let step = 0; step < options.steps; step++) {
    (optimizer as unknown as { learningRate: number }).learningRate = learningRateAt(step, options);
    const batch = Array.from({ length: options.batch }, next);
    const train = tf.tidy(() => {
      const ids = batchTensor(batch, vocab, data.context);
      const { value, grads } = tf.variableGrads(() => lossOf(model, ids), variables);
      const norm = Math.sqrt(Object.values(grads).reduce((a, g) => a + tf.sum(tf.square(g)).dataSync()[0], 0));
      const clip = Math.min(1, 1 / (norm + 1e-6));
      optimizer.applyGradients(Object.fromEntries(Object.entries(grads).map(([name, g]) => [name, tf.mul(g, clip)])));
      return value.dataSync()[0];
    });
    const last = step === options.steps - 1;
    const evaluate = step === 0 || last || (step + 1) % options.evalEvery === 0;
    const storyLoss = evaluate ? meanLoss(model, heldOut.stories, vocab) : null;
    const repeatLoss = evaluate ? meanLoss(model, heldOut.repeats, vocab) : null;
    // Both sets hold sequences of the full context, so their mean weighs every token alike when they are the same size.
    const heldOutLoss = evaluate
      ? (storyLoss! * heldOut.stories.length + repeatLoss! * heldOut.repeats.length) / (heldOut.stories.length + heldOut.repeats.length)
      : null;
    const seconds = (performance.now() - start) / 1000;
    curve.push({ step, train, heldOut: heldOutLoss, heldOutStories: storyLoss, heldOutRepeats: repeatLoss, seconds });
    if (evaluate)
      log(
        `${String(step).padStart(4)}  ${train.toFixed(4).padStart(10)}  ${heldOutLoss!.toFixed(4).padStart(13)}  (${storyLoss!.toFixed(3).padStart(7)}  ${repeatLoss!.toFixed(3).padStart(7)})  ${seconds.toFixed(1).padStart(7)}`,
      );
  }
  const roles = measureRoles(model, heldOut.stories, heldOut.repeats, vocab);
  return {
    model,
    curve,
    roles,
    heldOutCounts: {
      stories: heldOut.stories.length,
      repeats: heldOut.repeats.length,
      pronouns: heldOut.stories.reduce((a, s) => a + s.links.length, 0),
    },
  };
}
