// BROKEN: applies ReLU/GELU but then divides each row by its sum, as a softmax would: the weights sum to 1.
// An elementwise activation has no normalisation (the MLP read as attention): φ(s) stands on its own.
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
  // Each lane sums the whole row (no shared memory: every lane reads it all), then divides.
  var row_sum = 0.0;
  for (var j = 0u; j < params.m; j++) { row_sum += phi(scores[base + j]); }
  for (var j = lid.x; j < params.m; j += LANES) {
    var p = 0.0;
    if (row_sum != 0.0) { p = phi(scores[base + j]) / row_sum; }
    probs[base + j] = p;
  }
}
