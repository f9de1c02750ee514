/**
 * The peer baseline: TensorFlow.js's WebGPU backend computing the same attention on the same
 * inputs, softmax(matMul(Q, Kᵀ) · scale [+ causal bias]) · V, per head as a batched matmul.
 *
 * tfjs-backend-webgpu finds WebGPU as navigator.gpu: the page's, or in Node Dawn's, once
 * src/node/webgpu.ts's exposeNavigatorGpu has set it (npm run bench -- --node). Load this module with
 * a dynamic import so the page downloads tfjs only when the peer is asked for. tfjs requests its own
 * adapter and device, so it never shares queues or pipeline caches with the engine.
 *
 * Timing, per run, in two executions on the same inputs:
 *   - GPU time: tf.profile, whose per-kernel time on WebGPU comes from timestamp queries around
 *     each kernel's compute pass (profiling submits every kernel separately, so this is the fair
 *     counterpart of the engine's per-pass timestamps, and not a wall time);
 *   - wall time: an unprofiled run, from its first kernel to `await output.data()` (every kernel
 *     and the readback: what the engine's wall time covers in the profiler's repeats).
 * Like the engine's buffers there (src/gpu/buffer-pool.ts), the input tensors (Q, K, V and the
 * causal bias) are made once per inputs object and kept until the profiler releases them at the end
 * of the point, so a caller must not edit the inputs' arrays in place between runs (the profiler
 * never does); their bytes still count in the run's memory.
 * WEBGPU_CPU_FORWARD is turned off: by default tfjs computes small tensors on the CPU, which would
 * make the peer look fast at small N without touching the GPU.
 */
import * as tf from '@tensorflow/tfjs-core';
import { resolveScale } from '../core/options';
import type { AttentionShape } from '../core/shapes';
import type { AttentionInputs } from '../core/shapes';
import type { Peer, PeerRun } from '../gpu/profile';

/** A large finite negative rather than −∞: exp() of it underflows to exactly 0 without −∞ arithmetic. */
const MASKED = -1e9;

let ready: Promise<void> | null = null;

/** Selects the WebGPU backend once per page; throws when tfjs cannot get a WebGPU device. */
async function useWebgpuBackend(): Promise<void> {
  ready ??= (async () => {
    // The backend registers itself (and its flags) on import only where navigator.gpu exists, so
    // it is imported here, when asked for: in Node after navigator.gpu is set (src/node/webgpu.ts),
    // and never hoisted to the start of a bundle that loads before it is.
    await import('@tensorflow/tfjs-backend-webgpu');
    tf.env().set('WEBGPU_CPU_FORWARD', false);
    if (!(await tf.setBackend('webgpu'))) throw new Error('TensorFlow.js could not initialise its WebGPU backend');
    await tf.ready();
  })();
  ready.catch(() => (ready = null));
  return ready;
}

/** The pass group each tfjs kernel belongs to, so its timings line up with the engine's stages. */
function stageOf(kernel: string, softmaxSeen: boolean): string {
  if (kernel === 'Softmax') return 'softmax';
  if (kernel === 'Transpose' || kernel === 'Reshape') return 'layout';
  return softmaxSeen ? 'pv' : 'qk';
}

type Shape = Omit<AttentionShape, 'dModel' | 'kvHeads'>;

/** The inputs as tensors on the GPU: [rows, heads, width], and the causal bias where asked for. */
interface Resident {
  q: tf.Tensor3D;
  k: tf.Tensor3D;
  v: tf.Tensor3D;
  bias: tf.Tensor2D | null;
}

const resident = new WeakMap<AttentionInputs, Resident>();

function residentOf(inputs: AttentionInputs, s: Shape, causal: boolean): Resident {
  let r = resident.get(inputs);
  if (r && ((r.bias !== null) !== causal || r.q.shape[1] !== s.heads)) {
    release(inputs);
    r = undefined;
  }
  if (!r) {
    r = {
      q: tf.tensor3d(inputs.q.data, [s.n, s.heads, s.dk]),
      k: tf.tensor3d(inputs.k.data, [s.m, s.heads, s.dk]),
      v: tf.tensor3d(inputs.v.data, [s.m, s.heads, s.dv]),
      bias: causal ? causalBias(s.n, s.m) : null,
    };
    resident.set(inputs, r);
  }
  return r;
}

/** Disposes the tensors kept for these inputs (nothing when there are none). */
function release(inputs: AttentionInputs): void {
  const r = resident.get(inputs);
  if (!r) return;
  for (const t of [r.q, r.k, r.v, r.bias]) t?.dispose();
  resident.delete(inputs);
}

/** [rows, heads, d] → [heads, rows, d]: one batch entry per head (a free reshape for one head). */
function byHead(t: tf.Tensor3D): tf.Tensor3D {
  const [rows, heads, width] = t.shape;
  return heads === 1 ? tf.reshape(t, [1, rows, width]) : tf.transpose(t, [1, 0, 2]);
}

function attention(r: Resident, s: Shape, scale: number): tf.Tensor {
  const q = byHead(r.q);
  const k = byHead(r.k);
  const v = byHead(r.v);
  let scores = tf.mul(tf.matMul(q, k, false, true), tf.scalar(scale));
  if (r.bias) scores = tf.add(scores, r.bias);
  const probs = tf.softmax(scores);
  const out = tf.matMul(probs, v);
  return s.heads === 1 ? tf.reshape(out, [s.n, s.dv]) : tf.reshape(tf.transpose(out, [1, 0, 2]), [s.n, s.heads * s.dv]);
}

/** 0 where query i may see key j (j ≤ i + m − n, the engine's alignment), MASKED elsewhere. */
function causalBias(n: number, m: number): tf.Tensor2D {
  const bias = new Float32Array(n * m);
  for (let i = 0; i < n; i++) for (let j = i + m - n + 1; j < m; j++) if (j >= 0) bias[i * m + j] = MASKED;
  return tf.tensor2d(bias, [n, m]);
}

async function run(inputs: AttentionInputs, options: { causal: boolean; heads: number }): Promise<PeerRun> {
  const heads = options.heads;
  const shape: Shape = { n: inputs.q.rows, m: inputs.k.rows, dk: inputs.q.cols / heads, dv: inputs.v.cols / heads, heads };
  const scale = resolveScale('default', shape.dk);

  const r = residentOf(inputs, shape, options.causal);
  const residentBytes = [r.q, r.k, r.v, r.bias].reduce((sum, t) => sum + (t ? t.size * 4 : 0), 0);

  // Wall: an ordinary synced run.
  const started = performance.now();
  const output = tf.tidy(() => attention(r, shape, scale));
  const data = (await output.data()) as Float32Array;
  const wallMs = performance.now() - started;
  output.dispose();

  // GPU time per kernel, and the memory the run's tensors took at their peak.
  const bytesBefore = tf.memory().numBytes;
  const profile = await tf.profile(async () => {
    const out = tf.tidy(() => attention(r, shape, scale));
    await out.data();
    out.dispose();
  });
  const stages: Record<string, number> = {};
  let softmaxSeen = false;
  for (const kernel of profile.kernels) {
    const stage = stageOf(kernel.name, softmaxSeen);
    softmaxSeen ||= stage === 'softmax';
    // One head needs no transposes: its reshapes run no GPU program, so there is no layout stage.
    if (stage === 'layout' && shape.heads === 1) continue;
    stages[stage] = (stages[stage] ?? 0) + (Number(kernel.kernelTimeMs) || 0);
  }
  // The kept inputs were made before bytesBefore was read: count them, as the engine counts its Q, K, V.
  return { output: data, wallMs, stages, allocatedBytes: Math.max(0, profile.peakBytes - bytesBefore) + residentBytes };
}

export async function createTfjsPeer(): Promise<Peer> {
  await useWebgpuBackend();
  return { name: 'tfjs', dataflow: 'tfjs', run, release };
}

/** The backend tfjs ended up on and its flag, for the page and the results' notes. */
export function tfjsDescription(): string {
  return `TensorFlow.js ${tf.version_core} on backend "${tf.getBackend()}", WEBGPU_CPU_FORWARD=${tf.env().getBool('WEBGPU_CPU_FORWARD')}`;
}
