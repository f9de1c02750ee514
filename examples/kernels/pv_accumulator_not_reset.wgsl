// BROKEN: each invocation sums four output columns in turn, with `var acc: f32;` declared inside the loop over them and no initializer.
// The naive P·V, four columns per invocation (OUTPUTS_PER_INVOCATION_X = 4). WGSL gives `acc` its zero
// value again on every pass of the loop, so this is correct WGSL; but Dawn (Chrome, and Node's WebGPU)
// on SwiftShader keeps the previous column's sum, so from the second column on each output also holds
// the columns before it. Other implementations may zero it and pass. Writing `var acc = 0.0;` is right
// everywhere.

const SUPPORTS_KV_HEADS = true;
const OUTPUTS_PER_INVOCATION_X: u32 = 4u;

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
  d_model: u32,
  kv_heads: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> probs: array<f32>;
@group(0) @binding(2) var<storage, read> v: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let row = gid.y;
  let head = gid.z;
  if (row >= params.n) { return; }
  let width = params.heads * params.dv;
  let v_width = params.kv_heads * params.dv;
  let p_base = (head * params.n + row) * params.m;
  for (var i = 0u; i < OUTPUTS_PER_INVOCATION_X; i++) {
    let col = gid.x * OUTPUTS_PER_INVOCATION_X + i;
    if (col >= params.dv) { break; }
    let v_col = head / (params.heads / params.kv_heads) * params.dv + col;
    var acc: f32;
    for (var j = 0u; j < params.m; j++) {
      acc += probs[p_base + j] * v[j * v_width + v_col];
    }
    out[row * width + head * params.dv + col] = acc;
  }
}
