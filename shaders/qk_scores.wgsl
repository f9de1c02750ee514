// Stage 1, tiled and register-blocked: scores[h][i][j] = (q_i · k_j) · scale / temperature, or −∞
// where key j is hidden. A 16×16 workgroup computes a 64×64 tile of the score matrix, each
// invocation a 4×4 block of it (rows lid.y + 16·r, keys lid.x + 16·c), so OUTPUTS_PER_INVOCATION_X/Y
// tell the engine to dispatch ⌈m / 64⌉ × ⌈n / 64⌉ workgroups. The workgroup walks dk in chunks of
// 16, staging 64 query rows and 64 key rows of each chunk in workgroup memory; every value staged
// is reused 64 times, and each value read from workgroup memory feeds 4 multiply-adds. A barrier
// is shared by 4096 outputs instead of 256: on a CPU emulation like SwiftShader barriers are the
// most expensive thing a kernel does.
// The features: query head h reads K head ⌊h / (heads / kv_heads)⌋; each finished score is capped
// (c·tanh(s/c)), biased by ALiBi (−slope_h · distance) and hidden outside the sliding window. A tile
// that causality or the window hides whole skips its dot products and only writes −∞ (a window
// costs in proportion to the keys it shows, not to m). Features that are off cost a flag test per
// score.
// Interface: docs/kernel-interface.md.

const WG: u32 = 16u;     // invocations per side
const BLOCK: u32 = 4u;   // outputs per invocation per side
const TILE: u32 = 64u;   // WG · BLOCK: outputs per workgroup per side
const CHUNK: u32 = 16u;  // dk columns staged per barrier
const OUTPUTS_PER_INVOCATION_X: u32 = BLOCK;
const OUTPUTS_PER_INVOCATION_Y: u32 = BLOCK;
const FLAG_CAUSAL: u32 = 1u;
const FLAG_MASK: u32 = 2u;
const FLAG_WINDOW: u32 = 4u;
const FLAG_ALIBI: u32 = 8u;
const FLAG_SOFTCAP: u32 = 16u;
const SUPPORTS_KV_HEADS = true;
const SUPPORTS_WINDOW = true;
const SUPPORTS_ALIBI = true;
const SUPPORTS_SOFTCAP = true;

struct Params {
  n: u32,            // query rows in this dispatch
  m: u32,            // keys
  dk: u32,           // query/key width per head
  dv: u32,           // value width per head
  heads: u32,
  flags: u32,        // FLAG_CAUSAL | FLAG_MASK | FLAG_WINDOW | FLAG_ALIBI | FLAG_SOFTCAP
  causal_shift: i32, // key j is visible to row i when j <= i + causal_shift
  scale: f32,
  temperature: f32,
  d_model: u32,
  kv_heads: u32,     // K heads: query head h reads K head h / (heads / kv_heads)
  window: u32,       // sliding window w (FLAG_WINDOW)
  softcap: f32,      // logit softcap c (FLAG_SOFTCAP)
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> q: array<f32>;       // n × (heads·dk)
@group(0) @binding(2) var<storage, read> k: array<f32>;       // m × (kv_heads·dk)
@group(0) @binding(3) var<storage, read> mask: array<u32>;    // n × m, non-zero = may attend
@group(0) @binding(4) var<storage, read_write> scores: array<f32>; // heads × n × m
@group(0) @binding(5) var<storage, read> slopes: array<f32>;  // ALiBi slope per query head (FLAG_ALIBI)

var<workgroup> q_tile: array<array<f32, CHUNK>, TILE>; // [query row][d]
var<workgroup> k_tile: array<array<f32, TILE>, CHUNK>; // [d][key]: neighbouring invocations read neighbouring keys

// −∞ built at run time: a constant −∞ is a shader-creation error in WGSL.
fn neg_inf() -> f32 {
  var bits = 0xff800000u;
  return bitcast<f32>(bits);
}

// Windows wider than any distance hide nothing; the cap keeps i32 arithmetic on them from overflowing.
const WINDOW_CAP: u32 = 0x3fffffffu;

// How far key col lies behind row's aligned position i + causal_shift (negative: ahead of it).
fn distance(row: u32, col: u32) -> i32 {
  return i32(row) + params.causal_shift - i32(col);
}

fn visible(row: u32, col: u32) -> bool {
  let behind = distance(row, col);
  if ((params.flags & FLAG_CAUSAL) != 0u && behind < 0) {
    return false;
  }
  // Causal: the w most recent keys (behind < w); without causal, |behind| < w.
  if ((params.flags & FLAG_WINDOW) != 0u && u32(abs(behind)) >= params.window) {
    return false;
  }
  return (params.flags & FLAG_MASK) == 0u || mask[row * params.m + col] != 0u;
}

// Whether causality or the window hides every key of the tile from every row of it (uniform: it
// depends on the workgroup alone, so it may bound a loop with barriers).
fn tile_hidden(row0: u32, col0: u32) -> bool {
  let last_row = min(row0 + TILE, params.n) - 1u;
  let last_col = min(col0 + TILE, params.m) - 1u;
  // The keys the tile's rows may see (before the mask) lie between two diagonals.
  if ((params.flags & FLAG_CAUSAL) != 0u && distance(last_row, col0) < 0) { return true; }
  if ((params.flags & FLAG_WINDOW) != 0u) {
    let w = i32(min(params.window, WINDOW_CAP));
    if (distance(row0, last_col) >= w) { return true; }
    if ((params.flags & FLAG_CAUSAL) == 0u && -distance(last_row, col0) >= w) { return true; }
  }
  return false;
}

// A finished dot product → the score the softmax reads: scaled, capped, biased, or −∞ if hidden.
fn finish(acc: f32, row: u32, col: u32, slope: f32) -> f32 {
  var s = acc * params.scale / params.temperature;
  if ((params.flags & FLAG_SOFTCAP) != 0u) {
    // tanh is 1 in float32 past |x| = 15; clamping keeps its exp() from overflowing.
    s = params.softcap * tanh(clamp(s / params.softcap, -15.0, 15.0));
  }
  if ((params.flags & FLAG_ALIBI) != 0u) { s -= slope * f32(distance(row, col)); }
  if (!visible(row, col)) { s = neg_inf(); }
  return s;
}

@compute @workgroup_size(WG, WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u,
        @builtin(local_invocation_index) flat: u32) {
  let head = wid.z;
  let row0 = wid.y * TILE; // first query row of the tile
  let col0 = wid.x * TILE; // first key of the tile
  let q_stride = params.heads * params.dk;
  let k_stride = params.kv_heads * params.dk;
  let q_offset = head * params.dk;
  let k_offset = head / (params.heads / params.kv_heads) * params.dk;
  // A tile nothing can see walks no dk chunk (its scores are all −∞).
  let dk_end = select(params.dk, 0u, tile_hidden(row0, col0));

  // Accumulators as four vec4s (row lid.y + WG·r in acc_r, key lid.x + WG·c in component c):
  // plain values, which the compiler keeps in registers.
  var acc0 = vec4f(); var acc1 = vec4f(); var acc2 = vec4f(); var acc3 = vec4f();
  for (var d0 = 0u; d0 < dk_end; d0 += CHUNK) {
    // Stage TILE × CHUNK values of Q and of K: WG·WG invocations, BLOCK·BLOCK·CHUNK / WG each.
    for (var e = flat; e < TILE * CHUNK; e += WG * WG) {
      let r = e / CHUNK;
      let d = d0 + e % CHUNK;
      var qv = 0.0;
      if (row0 + r < params.n && d < params.dk) { qv = q[(row0 + r) * q_stride + q_offset + d]; }
      q_tile[r][e % CHUNK] = qv;
      var kv = 0.0;
      if (col0 + r < params.m && d < params.dk) { kv = k[(col0 + r) * k_stride + k_offset + d]; }
      k_tile[e % CHUNK][r] = kv;
    }
    workgroupBarrier();
    for (var t = 0u; t < CHUNK; t++) {
      let kr = vec4f(k_tile[t][lid.x], k_tile[t][lid.x + WG], k_tile[t][lid.x + 2u * WG], k_tile[t][lid.x + 3u * WG]);
      acc0 += q_tile[lid.y][t] * kr;
      acc1 += q_tile[lid.y + WG][t] * kr;
      acc2 += q_tile[lid.y + 2u * WG][t] * kr;
      acc3 += q_tile[lid.y + 3u * WG][t] * kr;
    }
    workgroupBarrier();
  }

  let acc = array<vec4f, BLOCK>(acc0, acc1, acc2, acc3);
  var slope = 0.0;
  if ((params.flags & FLAG_ALIBI) != 0u) { slope = slopes[head]; }
  for (var r = 0u; r < BLOCK; r++) {
    let row = row0 + lid.y + WG * r;
    for (var c = 0u; c < BLOCK; c++) {
      let col = col0 + lid.x + WG * c;
      if (row < params.n && col < params.m) {
        scores[(head * params.n + row) * params.m + col] = finish(acc[r][c], row, col, slope);
      }
    }
  }
}
