// BROKEN: the combine adds the splits' sums without rescaling each by exp2(m_s − M) to the common max.
// Split-KV combine: merges the fused stage's key splits into the output.
//
// Split s of row i, head h left (in `partials`, layout in docs/kernel-interface.md) its running max
// m_s (in exp2 units: scores times log2 e), its denominator L_s = Σ exp2(s_j − m_s) and its
// unnormalised output o_s = Σ exp2(s_j − m_s)·v_j over the keys it saw (the sink in split 0 only).
// A split that saw no key has L_s = 0 (its max is −∞ and is never read). With M = max over the
// splits with L_s > 0:
//   out[i][h·dv + c] = Σ_s exp2(m_s − M)·o_s[c] / Σ_s exp2(m_s − M)·L_s,   0 when every L_s is 0.
// Invocation t of workgroup (x, h) owns element t + 64x of the head's rows × dv block, so
// neighbouring invocations read neighbouring o_s entries and write neighbouring outputs.
// Interface: docs/kernel-interface.md.

const WG: u32 = 64u;

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
  window: u32,
  softcap: f32,
  rope_base: f32,
  rope_dims: u32,
  position_offset: i32,
  key_splits: u32,
  split_keys: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> partials: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lane: u32) {
  let head = wid.y;
  let e = wid.x * WG + lane;
  if (e >= params.n * params.dv) { return; }
  let row = e / params.dv;
  let c = e % params.dv;
  let splits = params.key_splits;
  let stats_base = params.heads * splits * params.n * params.dv;
  var run_max = 0.0;
  var seen = false;
  for (var s = 0u; s < splits; s++) {
    let at = stats_base + ((head * splits + s) * params.n + row) * 2u;
    if (partials[at + 1u] > 0.0) {
      let m_s = partials[at];
      run_max = select(max(run_max, m_s), m_s, !seen);
      seen = true;
    }
  }
  var denom = 0.0;
  var acc = 0.0;
  for (var s = 0u; s < splits; s++) {
    let at = stats_base + ((head * splits + s) * params.n + row) * 2u;
    let l_s = partials[at + 1u];
    if (l_s > 0.0) {
      let f = 1.0; // should be exp2(partials[at] - run_max): each split's sums are relative to its own max
      denom += f * l_s;
      acc += f * partials[((head * splits + s) * params.n + row) * params.dv + c];
    }
  }
  var r = 0.0;
  if (denom > 0.0) { r = acc / denom; }
  out[row * params.heads * params.dv + head * params.dv + c] = r;
}
