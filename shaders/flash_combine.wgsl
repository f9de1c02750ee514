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

// The splits are read BATCH at a time, every load of a batch before any arithmetic on it, so a
// batch's loads are in flight together: one invocation walks all of a row's splits, and with one
// load at a time a decode row's 64 splits (twice over) were a chain of 128 memory round trips
// (0.031 of 0.099 ms on an H200, BENCHMARKS.md). The arithmetic is the one of a split at a time, in
// split order, so the bits are too.
const BATCH: u32 = 8u;

struct Split {
  max_: f32,
  denom: f32,
}

fn split_at(head: u32, s: u32, row: u32) -> u32 {
  return params.heads * params.key_splits * params.n * params.dv + ((head * params.key_splits + s) * params.n + row) * 2u;
}

fn split_stats(head: u32, s: u32, row: u32) -> Split {
  let at = split_at(head, s, row);
  return Split(partials[at], partials[at + 1u]);
}

fn split_out(head: u32, s: u32, row: u32, c: u32) -> f32 {
  return partials[((head * params.key_splits + s) * params.n + row) * params.dv + c];
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lane: u32) {
  let head = wid.y;
  let e = wid.x * WG + lane;
  if (e >= params.n * params.dv) { return; }
  let row = e / params.dv;
  let c = e % params.dv;
  let splits = params.key_splits;
  let whole = splits - splits % BATCH;
  var run_max = 0.0;
  var seen = false;
  var stats: array<Split, BATCH>;
  for (var s0 = 0u; s0 < splits; s0 += BATCH) {
    let count = select(splits - s0, BATCH, s0 < whole);
    for (var i = 0u; i < BATCH; i++) {
      if (i < count) { stats[i] = split_stats(head, s0 + i, row); }
    }
    for (var i = 0u; i < BATCH; i++) {
      if (i < count && stats[i].denom > 0.0) {
        run_max = select(max(run_max, stats[i].max_), stats[i].max_, !seen);
        seen = true;
      }
    }
  }
  var denom = 0.0;
  var acc = 0.0;
  var outs: array<f32, BATCH>;
  for (var s0 = 0u; s0 < splits; s0 += BATCH) {
    let count = select(splits - s0, BATCH, s0 < whole);
    for (var i = 0u; i < BATCH; i++) {
      if (i < count) {
        stats[i] = split_stats(head, s0 + i, row);
        outs[i] = split_out(head, s0 + i, row, c);
      }
    }
    for (var i = 0u; i < BATCH; i++) {
      if (i < count && stats[i].denom > 0.0) {
        let f = exp2(stats[i].max_ - run_max);
        denom += f * stats[i].denom;
        acc += f * outs[i];
      }
    }
  }
  var r = 0.0;
  if (denom > 0.0) { r = acc / denom; }
  out[row * params.heads * params.dv + head * params.dv + c] = r;
}
