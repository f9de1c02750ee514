// BROKEN: row and column come from the wrong grid axes, so part of the output is never written.
// The naive P·V otherwise. The engine dispatches ceil(dv/8) workgroups along x and ceil(n/8) along
// y; this kernel reads its row from x, so only rows below 8·ceil(dv/8) (and columns below
// 8·ceil(n/8)) are ever computed. Square problems with n = dv hide the bug.

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
@group(0) @binding(1) var<storage, read> probs: array<f32>;
@group(0) @binding(2) var<storage, read> v: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let row = gid.x; // swapped: the engine dispatches x over the dv columns
  let col = gid.y; // and y over the query rows
  let head = gid.z;
  if (row >= params.n || col >= params.dv) { return; }
  let width = params.heads * params.dv;
  let p_base = (head * params.n + row) * params.m;
  var acc = 0.0;
  for (var j = 0u; j < params.m; j++) {
    acc += probs[p_base + j] * v[j * width + head * params.dv + col];
  }
  out[row * width + head * params.dv + col] = acc;
}
