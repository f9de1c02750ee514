// BROKEN: ReLU written as s · step(s) and GELU applied to every score: a hidden key's −∞ becomes −∞ · 0 = NaN.
// A hidden score must weigh exactly 0; test for −∞ before φ (max(s, 0) would also be safe for ReLU).
// Otherwise the built-in activation_rows.wgsl. Interface: docs/kernel-interface.md.

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

fn phi(s: f32) -> f32 {
  if ((params.flags & FLAG_RELU) != 0u) { return s * select(0.0, 1.0, s > 0.0); }
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
