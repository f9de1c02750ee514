// Stage 1, tiled and register-blocked: scores[h][i][j] = (q_i · k_j) · scale / temperature, or −∞
// where key j is hidden. A 16×16 workgroup computes a 64×64 tile of the score matrix, each
// invocation a 4×4 block of it (rows lid.y + 16·r, keys lid.x + 16·c), so OUTPUTS_PER_INVOCATION_X/Y
// tell the engine to dispatch ⌈m / 64⌉ × ⌈n / 64⌉ workgroups. The workgroup walks dk in chunks of
// 16, staging the chunk of its 64 query rows and 64 key rows in workgroup memory. Q is staged as
// it lies, [row][d]. K is staged turned, [d][key], and packed so that one vec4 holds the four keys
// an invocation multiplies at a dimension (lid.x + 16·c, c = 0…3): a load of K is one vec4, and the
// 16 invocations of a workgroup row read 16 consecutive vec4s (no bank conflict). Each invocation
// stages one such vec4, four keys at one dimension, neighbouring invocations taking neighbouring
// dimensions (as K lies in memory), and each d row of the K tile is padded by one vec4, which
// spreads those stores over the banks (an unpadded [d][key] tile puts the 16 dimensions of a key
// on one bank: a 16-way conflict). Every value staged is reused 64 times, and a barrier is shared
// by 4096 outputs instead of 256 (on a CPU emulation like SwiftShader barriers and workgroup loads
// are what a kernel pays for most). Each dot product adds the dimensions in order, d = 0, 1, 2, …
// A tile of at most NARROW_ROWS rows (decoding, n = 1; the last rows of a block) would leave all
// but 16·rows of its invocations without a score: it gives each of its rows × 64 scores an
// invocation of its own instead, which reads Q and K from memory, with no barrier. Its dimensions
// are added in the same order, so a row's scores are the same, bit for bit, in any tile.
// The features: query head h reads K head ⌊h / (heads / kv_heads)⌋; each finished score is capped
// (c·tanh(s/c)), biased by ALiBi (−slope_h · distance) and hidden outside the sliding window. A tile
// that causality or the window hides whole skips its dot products and only writes −∞ (a window
// costs in proportion to the keys it shows, not to m); a tile they show whole, with no mask, skips
// the per-score visibility test.
// Interface: docs/kernel-interface.md.

const WG: u32 = 16u;     // invocations per side
const BLOCK: u32 = 4u;   // outputs per invocation per side
const TILE: u32 = 64u;   // WG · BLOCK: outputs per workgroup per side
const CHUNK: u32 = 16u;  // dk columns staged per barrier
const NARROW_ROWS: u32 = 4u; // a tile with at most this many rows gives every score an invocation
const K_ROW: u32 = WG + 1u;     // vec4s of a staged K row (one dimension of 64 keys), one of them padding
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
var<workgroup> k_tile: array<array<vec4f, K_ROW>, CHUNK>; // [d][key % 16], component key / 16

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

// Whether causality and the window show every key of the tile to every row of it, so that only the
// mask can hide a score (uniform, like tile_hidden).
fn tile_shown(row0: u32, col0: u32) -> bool {
  let last_row = min(row0 + TILE, params.n) - 1u;
  let last_col = min(col0 + TILE, params.m) - 1u;
  if ((params.flags & FLAG_CAUSAL) != 0u && distance(row0, last_col) < 0) { return false; }
  if ((params.flags & FLAG_WINDOW) != 0u) {
    let w = i32(min(params.window, WINDOW_CAP));
    if (distance(last_row, col0) >= w) { return false; }
    if ((params.flags & FLAG_CAUSAL) == 0u && -distance(row0, last_col) >= w) { return false; }
  }
  return true;
}

// k[key][d] of this head's K head, or 0 past the end of K.
fn k_at(key: u32, d: u32, stride: u32, offset: u32) -> f32 {
  if (key < params.m && d < params.dk) { return k[key * stride + offset + d]; }
  return 0.0;
}

// The features that reshape a scaled score: the logit softcap, then the ALiBi bias.
fn shaped(scaled: f32, row: u32, col: u32, slope: f32) -> f32 {
  var s = scaled;
  if ((params.flags & FLAG_SOFTCAP) != 0u) {
    // tanh is 1 in float32 past |x| = 15; clamping keeps its exp() from overflowing.
    s = params.softcap * tanh(clamp(s / params.softcap, -15.0, 15.0));
  }
  if ((params.flags & FLAG_ALIBI) != 0u) { s -= slope * f32(distance(row, col)); }
  return s;
}

// Scale, shape and hide the score of (row, col), and write it.
fn store(head: u32, row: u32, col: u32, acc: f32, reshape: bool, check: bool, slope: f32) {
  var s = acc * params.scale / params.temperature;
  if (reshape) { s = shaped(s, row, col, slope); }
  if (check && !visible(row, col)) { s = neg_inf(); }
  scores[(head * params.n + row) * params.m + col] = s;
}

// The four scores of `row` at keys col, col + 16, col + 32, col + 48 (those inside the matrix).
fn store_row(head: u32, row: u32, col: u32, acc: vec4f, reshape: bool, check: bool, slope: f32) {
  if (row >= params.n) { return; }
  for (var c = 0u; c < BLOCK; c++) {
    if (col + WG * c < params.m) { store(head, row, col + WG * c, acc[c], reshape, check, slope); }
  }
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
  // Softcap and ALiBi off (the common case): one test per score, not one per feature; a tile that
  // causality and the window show whole needs no visibility test without a mask.
  let reshape = (params.flags & (FLAG_SOFTCAP | FLAG_ALIBI)) != 0u;
  let check = (params.flags & FLAG_MASK) != 0u || !tile_shown(row0, col0);
  var slope = 0.0;
  if ((params.flags & FLAG_ALIBI) != 0u) { slope = slopes[head]; }

  if (min(params.n - row0, TILE) <= NARROW_ROWS) {
    // Narrow (uniform branch; nothing after it runs): score (row0 + flat / 64, col0 + flat % 64),
    // its dimensions added in order as below.
    let row = row0 + flat / TILE;
    let col = col0 + flat % TILE;
    if (row < params.n && col < params.m) {
      var acc = 0.0;
      for (var d = 0u; d < dk_end; d++) { acc += q[row * q_stride + q_offset + d] * k[col * k_stride + k_offset + d]; }
      store(head, row, col, acc, reshape, check, slope);
    }
    return;
  }

  // The K values this invocation stages per chunk: dimension k_dim of keys k_slot + WG·c.
  let k_dim = flat % CHUNK;
  let k_slot = flat / CHUNK;

  // Accumulators as four vec4s (row lid.y + WG·r in acc_r, key lid.x + WG·c in component c):
  // plain values, which the compiler keeps in registers.
  var acc0 = vec4f(); var acc1 = vec4f(); var acc2 = vec4f(); var acc3 = vec4f();
  for (var d0 = 0u; d0 < dk_end; d0 += CHUNK) {
    // Stage TILE × CHUNK values of Q (BLOCK·BLOCK·CHUNK / WG each) and one vec4 of K.
    for (var e = flat; e < TILE * CHUNK; e += WG * WG) {
      let r = e / CHUNK;
      let d = d0 + e % CHUNK;
      var qv = 0.0;
      if (row0 + r < params.n && d < params.dk) { qv = q[(row0 + r) * q_stride + q_offset + d]; }
      q_tile[r][e % CHUNK] = qv;
    }
    let kd = d0 + k_dim;
    let key = col0 + k_slot;
    k_tile[k_dim][k_slot] = vec4f(k_at(key, kd, k_stride, k_offset), k_at(key + WG, kd, k_stride, k_offset),
                                  k_at(key + 2u * WG, kd, k_stride, k_offset), k_at(key + 3u * WG, kd, k_stride, k_offset));
    workgroupBarrier();
    for (var t = 0u; t < CHUNK; t++) {
      let kt = k_tile[t][lid.x]; // keys lid.x + WG·c at dimension d0 + t
      acc0 += q_tile[lid.y][t] * kt;
      acc1 += q_tile[lid.y + WG][t] * kt;
      acc2 += q_tile[lid.y + 2u * WG][t] * kt;
      acc3 += q_tile[lid.y + 3u * WG][t] * kt;
    }
    workgroupBarrier();
  }

  let row = row0 + lid.y;
  let col = col0 + lid.x;
  store_row(head, row, col, acc0, reshape, check, slope);
  store_row(head, row + WG, col, acc1, reshape, check, slope);
  store_row(head, row + 2u * WG, col, acc2, reshape, check, slope);
  store_row(head, row + 3u * WG, col, acc3, reshape, check, slope);
}
