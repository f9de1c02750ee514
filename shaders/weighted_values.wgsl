// Stage 3, tiled and register-blocked: out[i][h·dv + c] = Σ_j probs[h][i][j] · v[j][h·dv + c].
// A 16×16 workgroup computes a 64×64 output tile, each invocation a 4×4 block of it (rows
// lid.y + 16·r, value columns lid.x + 16·c), so OUTPUTS_PER_INVOCATION_X/Y tell the engine to
// dispatch ⌈dv / 64⌉ × ⌈n / 64⌉ workgroups. The workgroup walks the keys in chunks of 16, staging
// the matching 64 × 16 probabilities and 16 × 64 values in workgroup memory; each value read from
// workgroup memory feeds 4 multiply-adds, and a barrier is shared by 4096 outputs instead of 256.
// A tile of at most NARROW_ROWS rows (decoding, n = 1; the last rows of a block) would leave all
// but 16·rows of its invocations without an output: it gives each of its rows × 64 outputs an
// invocation of its own instead (64 for one row, 4 times as many as the 4×4 blocks), which walks
// the keys reading probabilities and values from memory, with no workgroup memory and no barrier.
// Either way each output adds its keys one at a time, in key order, so a row's output is the same,
// bit for bit, whichever rows share its tile.
// Query head h reads V head ⌊h / (heads / kv_heads)⌋ (grouped-query attention). The key walk covers
// only the keys causality and the sliding window let some row of the tile see: every other key's
// probability is 0 by the softmax's contract, so skipping it changes nothing and a window costs in
// proportion to its width, not to m.
// Interface: docs/kernel-interface.md.

const WG: u32 = 16u;     // invocations per side
const BLOCK: u32 = 4u;   // outputs per invocation per side
const TILE: u32 = 64u;   // WG · BLOCK: outputs per workgroup per side
const CHUNK: u32 = 16u;  // keys staged per barrier
const NARROW_ROWS: u32 = 4u; // a tile with at most this many rows gives every output an invocation
const OUTPUTS_PER_INVOCATION_X: u32 = BLOCK;
const OUTPUTS_PER_INVOCATION_Y: u32 = BLOCK;
const FLAG_CAUSAL: u32 = 1u;
const FLAG_WINDOW: u32 = 4u;
const WINDOW_CAP: u32 = 0x3fffffffu; // wider windows hide nothing; keeps i32 arithmetic in range
const SUPPORTS_KV_HEADS = true;

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
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> probs: array<f32>;     // heads × n × m
@group(0) @binding(2) var<storage, read> v: array<f32>;         // m × (kv_heads·dv)
@group(0) @binding(3) var<storage, read_write> out: array<f32>; // n × (heads·dv)

var<workgroup> p_tile: array<array<f32, CHUNK>, TILE>; // [query row][key]
var<workgroup> v_tile: array<array<f32, TILE>, CHUNK>; // [key][value column]

// [first, end) of the keys that causality and the window let some row in [row0, last_row] see.
fn visible_keys(row0: u32, last_row: u32) -> vec2u {
  let m = i32(params.m);
  let w = i32(min(params.window, WINDOW_CAP));
  let causal = (params.flags & FLAG_CAUSAL) != 0u;
  let window = (params.flags & FLAG_WINDOW) != 0u;
  var first = 0;
  var end = m;
  if (window) { first = i32(row0) + params.causal_shift - w + 1; }
  if (causal) {
    end = i32(last_row) + params.causal_shift + 1;
  } else if (window) {
    end = i32(last_row) + params.causal_shift + w;
  }
  return vec2u(u32(clamp(first, 0, m)), u32(clamp(end, 0, m)));
}

@compute @workgroup_size(WG, WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u,
        @builtin(local_invocation_index) flat: u32) {
  let head = wid.z;
  let row0 = wid.y * TILE; // first query row of the tile
  let col0 = wid.x * TILE; // first value column (within the head) of the tile
  let width = params.heads * params.dv;
  let v_width = params.kv_heads * params.dv;
  let p_head = head * params.n;
  let out_head = head * params.dv;
  let v_head = head / (params.heads / params.kv_heads) * params.dv;
  let rows = min(params.n - row0, TILE);
  // Keys this tile's rows can see (uniform: the loop below has barriers).
  let keys = visible_keys(row0, row0 + rows - 1u);

  if (rows <= NARROW_ROWS) {
    // Narrow: output (row0 + flat / 64, col0 + flat % 64), one per invocation; the branch is
    // uniform, and nothing after it runs.
    let row = row0 + flat / TILE;
    let col = col0 + flat % TILE;
    if (col < params.dv && row < params.n) {
      var sum = 0.0;
      for (var j = keys.x; j < keys.y; j++) {
        sum += probs[(p_head + row) * params.m + j] * v[j * v_width + v_head + col];
      }
      out[row * width + out_head + col] = sum;
    }
    return;
  }

  // Accumulators as four vec4s (row lid.y + WG·r in acc_r, column lid.x + WG·c in component c):
  // plain values, which the compiler keeps in registers.
  var acc0 = vec4f(); var acc1 = vec4f(); var acc2 = vec4f(); var acc3 = vec4f();
  for (var j0 = keys.x; j0 < keys.y; j0 += CHUNK) {
    // Stage TILE × CHUNK probabilities and CHUNK × TILE values: BLOCK·BLOCK·CHUNK / WG each.
    for (var e = flat; e < TILE * CHUNK; e += WG * WG) {
      let pr = e / CHUNK;  // tile row of the probability
      let pj = e % CHUNK;  // key within the chunk
      var pv = 0.0;
      if (row0 + pr < params.n && j0 + pj < keys.y) { pv = probs[(p_head + row0 + pr) * params.m + j0 + pj]; }
      p_tile[pr][pj] = pv;
      let vj = e / TILE;   // key within the chunk
      let vc = e % TILE;   // tile column of the value
      var vv = 0.0;
      if (j0 + vj < keys.y && col0 + vc < params.dv) { vv = v[(j0 + vj) * v_width + v_head + col0 + vc]; }
      v_tile[vj][vc] = vv;
    }
    workgroupBarrier();
    for (var t = 0u; t < CHUNK; t++) {
      let vr = vec4f(v_tile[t][lid.x], v_tile[t][lid.x + WG], v_tile[t][lid.x + 2u * WG], v_tile[t][lid.x + 3u * WG]);
      acc0 += p_tile[lid.y][t] * vr;
      acc1 += p_tile[lid.y + WG][t] * vr;
      acc2 += p_tile[lid.y + 2u * WG][t] * vr;
      acc3 += p_tile[lid.y + 3u * WG][t] * vr;
    }
    workgroupBarrier();
  }

  let acc = array<vec4f, BLOCK>(acc0, acc1, acc2, acc3);
  for (var r = 0u; r < BLOCK; r++) {
    let row = row0 + lid.y + WG * r;
    for (var c = 0u; c < BLOCK; c++) {
      let col = col0 + lid.x + WG * c;
      if (row < params.n && col < params.dv) { out[row * width + out_head + col] = acc[r][c]; }
    }
  }
}
