// Stage 2 with an elementwise activation instead of the softmax (options.activation 'relu' | 'gelu'):
// probs = φ(scores), each score on its own, with no max, no sum and no division: the MLP read as
// attention (src/core/mlp.ts). ReLU: max(s, 0) (FLAG_RELU). GELU in its tanh form, as GPT-2
// (FLAG_GELU): 0.5·s·(1 + tanh(√(2/π)·(s + 0.044715·s³))), its tanh argument clamped to ±15, where
// tanh is ±1 in float32 (as the softcap's): s³ may overflow for huge s, the clamp keeps it finite.
// Masked scores arrive as −∞ and weigh 0 (φ(−∞) would be NaN for GELU: −∞·0). A row with every key
// masked is all zeros. Sinks belong to a softmax's denominator; the engine refuses them here.
// One kernel serves naive and tiled: tiling pays when a value is reused (a K tile by many queries),
// but an elementwise map reads each score once and writes it once, so there is nothing to stage in
// workgroup memory and no barrier to share. Lanes walk a row's keys with stride LANES so
// neighbouring invocations touch neighbouring scores (coalesced), ROWS rows per workgroup.
// Interface: docs/kernel-interface.md.

const LANES: u32 = 64u; // invocations along a row's keys
const ROWS: u32 = 4u;   // rows per workgroup
const FLAG_RELU: u32 = 256u;
const FLAG_GELU: u32 = 512u;
const ELEMENTWISE_ACTIVATION = true;
const SQRT_2_OVER_PI: f32 = 0.7978845608028654;
const GELU_CUBIC: f32 = 0.044715;

struct Params {
  n: u32,
  m: u32,
  dk: u32,
  dv: u32,
  heads: u32,
  flags: u32,
  causal_shift: i32,
  scale: f32,
  temperature: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> scores: array<f32>;
@group(0) @binding(2) var<storage, read_write> probs: array<f32>;
@group(0) @binding(3) var<storage, read> sinks: array<f32>;

fn is_masked(s: f32) -> bool {
  return bitcast<u32>(s) == 0xff800000u;
}

fn phi(s: f32) -> f32 {
  if (is_masked(s)) { return 0.0; }
  if ((params.flags & FLAG_RELU) != 0u) { return max(s, 0.0); }
  let y = clamp(SQRT_2_OVER_PI * (s + GELU_CUBIC * s * s * s), -15.0, 15.0);
  return 0.5 * s * (1.0 + tanh(y));
}

@compute @workgroup_size(64, 4)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let row = wid.x * ROWS + lid.y;
  if (row >= params.n) { return; }
  let base = (wid.y * params.n + row) * params.m;
  for (var j = lid.x; j < params.m; j += LANES) {
    probs[base + j] = phi(scores[base + j]);
  }
}
