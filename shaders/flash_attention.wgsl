// Fused attention, one pass ("flash attention"): out[i][h·dv + c] = Σ_j softmax_j(s_ij) · v[j][g·dv + c]
// with s_ij = (q_i · k_j) · scale / temperature, without ever writing the scores to memory.
//
// Online softmax. Each invocation owns one query row of one head and keeps a running max M, a
// running denominator L = Σ exp(s − M) and a running numerator o = Σ exp(s − M)·v over the keys
// seen so far. Keys are folded in batches of BATCH; when a batch raises the max from M to M', L and
// o are multiplied by exp(M − M') once, so every term stays relative to the current max. The
// output is o / L, divided once at the end. A row with no visible key keeps L = 0 and writes zeros.
//
// Workgroup: ROWS query rows (grid x), one head (grid z). Per key tile the workgroup stages
// KEY_TILE keys and their values in workgroup memory (each value read from storage then serves
// ROWS rows), and every invocation scores its row against the tile, BATCH keys at a time.
// Widths of any size are walked in chunks: dk in DK_CHUNK columns per staging (for dk > DK_CHUNK
// a tile holds BATCH keys and their scores accumulate across the chunks), dv in DV_CHUNK columns
// per sweep over the keys (a second sweep recomputes the scores; dv ≤ DV_CHUNK is one sweep).
//
// Few rows (decoding: one query row against a long cache). A workgroup that owns few rows R (at
// most ROWS / 2, and few enough that a split's share of a key tile fits one batch: R ≤ 16 with
// 64-key tiles) gives each row S = ROWS / R invocations ("splits"): per key tile, the splits score
// a share of the tile's keys each (the dot products, the expensive part) and publish the scores in
// workgroup memory; then every split folds all of its row's scores in key order into the running
// max and denominator (the same values in every split) and into its own share of the value columns.
// A row's arithmetic is then the same, operation for operation, whether its workgroup has one row
// or 64 — a run in row blocks, or of a range of rows, gives the same bits as one run of all rows.
// Splitting the keys across workgroups as well (split-KV, "flash decoding") would need a grid that
// grows with m and a merge pass: left for later.
//
// The features: query head h reads K/V head g = ⌊h / (heads / kv_heads)⌋; each score is capped
// (c·tanh(s/c)) and biased by ALiBi (−slope_h · distance); an attention sink starts the running
// softmax as a key whose value is 0 (M = sink, L = 1). Causal: the key loop ends at the last key
// visible to the workgroup's last row; a sliding window starts it at the first key visible to its
// first row, rounded down to a whole tile (and ends it, without causal, at the last key the window
// shows the last row), so a window skips the keys it hides instead of masking them. Rows stop at
// their own first and last key inside the tiles; tiles outside the workgroup's range are never
// visited.
// −∞ never enters arithmetic: hidden scores are marked with −∞'s bits and tested as bits.
// Interface: docs/kernel-interface.md.

const ROWS: u32 = 64u;     // query rows per workgroup, one invocation each
const DK_CHUNK: u32 = 64u; // query/key columns staged at a time (a multiple of 4)
const DV_CHUNK: u32 = 64u; // value columns accumulated per sweep (a multiple of 4)
const BATCH: u32 = 16u;    // scores held privately at a time, whatever the tile size
const FLAG_CAUSAL: u32 = 1u;
const FLAG_MASK: u32 = 2u;
const FLAG_WINDOW: u32 = 4u;
const FLAG_ALIBI: u32 = 8u;
const FLAG_SOFTCAP: u32 = 16u;
const FLAG_SINKS: u32 = 32u;
const LOWEST: f32 = -3.4028234663852886e38;
const WINDOW_CAP: u32 = 0x3fffffffu; // wider windows hide nothing; keeps i32 arithmetic in range
const SUPPORTS_KV_HEADS = true;
const SUPPORTS_WINDOW = true;
const SUPPORTS_ALIBI = true;
const SUPPORTS_SOFTCAP = true;
const SUPPORTS_SINKS = true;

// Workgroup memory this pipeline may use. The engine sets it to the device's
// maxComputeWorkgroupStorageSize (at least 16384; 32768 on SwiftShader); the key tile is the most
// keys whose DK_CHUNK key columns and DV_CHUNK value columns fit: 16 KiB → 32 keys, 32 KiB → 64.
// (On SwiftShader, pipeline creation time grows with the workgroup memory declared: about 7 s of
// CPU at 32 KiB unless Dawn's use_vulkan_zero_initialize_workgroup_memory_extension is disabled.)
override WORKGROUP_BYTES: u32 = 16384u;
override KEY_TILE: u32 = max(1u, WORKGROUP_BYTES / (4u * (DK_CHUNK + DV_CHUNK)));

struct Params {
  n: u32,            // query rows in this dispatch
  m: u32,            // keys
  dk: u32,           // query/key width per head
  dv: u32,           // value width per head
  heads: u32,
  flags: u32,        // FLAG_CAUSAL | FLAG_MASK | FLAG_WINDOW | FLAG_ALIBI | FLAG_SOFTCAP | FLAG_SINKS
  causal_shift: i32, // key j is visible to row i when j <= i + causal_shift
  scale: f32,
  temperature: f32,
  d_model: u32,
  kv_heads: u32,     // K/V heads: query head h reads K/V head h / (heads / kv_heads)
  window: u32,       // sliding window w (FLAG_WINDOW)
  softcap: f32,      // logit softcap c (FLAG_SOFTCAP)
}

@group(0) @binding(0) var<uniform> params: Params;
// @storage-begin
// Q, K and V, and the only reads of them. With f16 storage (RunOptions.precision 'f16') the engine
// replaces this block with shaders/storage/f16.wgsl: the same functions over packed halves.
@group(0) @binding(1) var<storage, read> q: array<f32>;         // n × (heads·dk)
@group(0) @binding(2) var<storage, read> k: array<f32>;         // m × (kv_heads·dk)
@group(0) @binding(3) var<storage, read> v: array<f32>;         // m × (kv_heads·dv)
fn load_q(e: u32) -> f32 { return q[e]; }
fn load_k(e: u32) -> f32 { return k[e]; }
fn load_v(e: u32) -> f32 { return v[e]; }
// @storage-end
@group(0) @binding(4) var<storage, read> mask: array<u32>;      // n × m, non-zero = may attend
@group(0) @binding(5) var<storage, read_write> out: array<f32>; // n × (heads·dv)
@group(0) @binding(6) var<storage, read> slopes: array<f32>;    // ALiBi slope per query head (FLAG_ALIBI)
@group(0) @binding(7) var<storage, read> sinks: array<f32>;     // sink logit per query head (FLAG_SINKS)

const DK4: u32 = DK_CHUNK / 4u;
const DV4: u32 = DV_CHUNK / 4u;
// The key tile; with splits, k_tile then also holds the tile's scores, [row][key].
var<workgroup> k_tile: array<vec4f, KEY_TILE * DK4>; // [key][d / 4], zero past dk
var<workgroup> v_tile: array<vec4f, KEY_TILE * DV4>; // [key][c / 4], zero past dv

fn neg_inf() -> f32 {
  var bits = 0xff800000u;
  return bitcast<f32>(bits);
}

fn is_hidden(s: f32) -> bool {
  return bitcast<u32>(s) == 0xff800000u;
}

fn window_width() -> i32 {
  return i32(min(params.window, WINDOW_CAP));
}

// One past the last key visible (by causality) to query row `row`, within [0, limit].
fn causal_end(row: u32, limit: u32) -> u32 {
  if ((params.flags & FLAG_CAUSAL) == 0u) { return limit; }
  return u32(clamp(i32(row) + params.causal_shift + 1, 0, i32(limit)));
}

// One past the last key query row `row` may see, within [0, limit]: causal, else a window's end.
fn key_end(row: u32, limit: u32) -> u32 {
  if ((params.flags & (FLAG_CAUSAL | FLAG_WINDOW)) == FLAG_WINDOW) {
    return u32(clamp(i32(row) + params.causal_shift + window_width(), 0, i32(limit)));
  }
  return causal_end(row, limit);
}

// The first key query row `row` may see: the start of its window (0 without one).
fn key_start(row: u32) -> u32 {
  if ((params.flags & FLAG_WINDOW) == 0u) { return 0u; }
  return u32(clamp(i32(row) + params.causal_shift - window_width() + 1, 0, i32(params.m)));
}

// The features that reshape a scaled score: the logit softcap, then the ALiBi bias.
fn shaped(scaled: f32, row: u32, key: u32, slope: f32) -> f32 {
  var s = scaled;
  if ((params.flags & FLAG_SOFTCAP) != 0u) {
    // tanh is 1 in float32 past |x| = 15; clamping keeps its exp() from overflowing.
    s = params.softcap * tanh(clamp(s / params.softcap, -15.0, 15.0));
  }
  if ((params.flags & FLAG_ALIBI) != 0u) { s -= slope * f32(i32(row) + params.causal_shift - i32(key)); }
  return s;
}

@compute @workgroup_size(ROWS)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lane: u32) {
  let head = wid.z;
  let kv_head = head / (params.heads / params.kv_heads);
  let first_row = wid.x * ROWS;
  let one_dk_chunk = params.dk <= DK_CHUNK;
  // Keys per tile. A wide head (dk > DK_CHUNK) accumulates its scores across dk chunks, so its tile
  // is one private batch.
  let tile = select(min(KEY_TILE, BATCH), KEY_TILE, one_dk_chunk);
  // Rows this workgroup owns and splits per row (uniform). Split only where a split's share of a
  // tile fits one private batch; the tile's scores (rows_here · tile ≤ KEY_TILE · DK_CHUNK) are
  // published in k_tile.
  let rows_here = min(ROWS, params.n - first_row);
  let copies = ROWS / rows_here;
  let split_mode = copies > 1u && tile <= copies * BATCH;
  let splits = select(1u, copies, split_mode);
  let local_row = lane % rows_here;
  let split = lane / rows_here;
  let row = first_row + local_row;
  let has_row = split < splits;
  let qk_width = params.heads * params.dk;
  let k_width = params.kv_heads * params.dk;
  let kv_v_width = params.kv_heads * params.dv;
  let v_width = params.heads * params.dv;
  let q_base = row * qk_width + head * params.dk;
  let has_mask = (params.flags & FLAG_MASK) != 0u;
  let has_sink = (params.flags & FLAG_SINKS) != 0u;
  // Softcap and ALiBi off (the common case): one test per score, not one per feature.
  let reshape = (params.flags & (FLAG_SOFTCAP | FLAG_ALIBI)) != 0u;
  var slope = 0.0;
  if ((params.flags & FLAG_ALIBI) != 0u) { slope = slopes[head]; }
  var sink = 0.0;
  if (has_sink) { sink = sinks[head]; }

  // Keys any row of this workgroup can see (uniform: it bounds every loop with a barrier), from a
  // multiple of the tile so that every row meets the same tiles in any workgroup; and keys this
  // row can see.
  let keys_start = key_start(first_row) / tile * tile;
  let keys_end = key_end(min(first_row + ROWS, params.n) - 1u, params.m);
  let row_start = key_start(row);
  let row_end = key_end(row, keys_end);

  var q_chunk: array<vec4f, DK4>; // this row's dk chunk, zero past dk
  var s: array<f32, BATCH>;       // scores of the current batch; −∞ bits where hidden
  var o: array<vec4f, DV4>;       // running numerator Σ exp(s − run_max)·v for this dv chunk
  if (one_dk_chunk && has_row) {
    for (var d = 0u; d < params.dk; d++) { q_chunk[d / 4u][d % 4u] = load_q(q_base + d); }
  }

  for (var c0 = 0u; c0 < params.dv; c0 += DV_CHUNK) {
    let cols = min(DV_CHUNK, params.dv - c0);
    let cols4 = (cols + 3u) / 4u;
    // This split's value columns: vec4s [c4_start, c4_end) of the chunk (all of them without splits).
    let c4_share = (cols4 + splits - 1u) / splits;
    let c4_start = min(split * c4_share, cols4);
    let c4_end = min(c4_start + c4_share, cols4);
    for (var c4 = c4_start; c4 < c4_end; c4++) { o[c4] = vec4f(0.0); }
    var run_max = LOWEST; // meaningful once seen
    var seen = false;     // a visible key (or the sink) has been folded in
    var denom = 0.0;      // running Σ exp(s − run_max)
    if (has_sink) {
      // The sink is a key whose value is 0: it starts the max and the denominator.
      run_max = sink;
      seen = true;
      denom = 1.0;
    }

    for (var j0 = keys_start; j0 < keys_end; j0 += tile) {
      let keys = min(tile, keys_end - j0);
      // This split's share of the tile's keys to score: [mine_start, mine_end) (all of it without splits).
      let per = (keys + splits - 1u) / splits;
      let mine_start = min(split * per, keys);
      let mine_end = min(mine_start + per, keys);
      for (var d0 = 0u; d0 < params.dk; d0 += DK_CHUNK) {
        let width = min(DK_CHUNK, params.dk - d0);
        let width4 = (width + 3u) / 4u;
        // Stage the tile: K's columns d0… and (once per tile) V's columns c0…, zero-padded.
        for (var e = lane; e < tile * DK_CHUNK; e += ROWS) {
          let j = e / DK_CHUNK;
          let d = e % DK_CHUNK;
          var x = 0.0;
          if (j < keys && d < width) { x = load_k((j0 + j) * k_width + kv_head * params.dk + d0 + d); }
          k_tile[e / 4u][e % 4u] = x;
        }
        if (d0 == 0u) {
          for (var e = lane; e < tile * DV_CHUNK; e += ROWS) {
            let j = e / DV_CHUNK;
            let c = e % DV_CHUNK;
            var x = 0.0;
            if (j < keys && c < cols) { x = load_v((j0 + j) * kv_v_width + kv_head * params.dv + c0 + c); }
            v_tile[e / 4u][e % 4u] = x;
          }
        }
        if (!one_dk_chunk && has_row) {
          for (var d = 0u; d < DK_CHUNK; d++) {
            var x = 0.0;
            if (d < width) { x = load_q(q_base + d0 + d); }
            q_chunk[d / 4u][d % 4u] = x;
          }
        }
        workgroupBarrier();

        if (has_row && !one_dk_chunk) {
          // Wide head: partial dot products over this dk chunk (the share is at most BATCH keys).
          for (var j = 0u; j < mine_end - mine_start; j++) {
            var acc = 0.0;
            if (d0 != 0u) { acc = s[j]; }
            for (var d4 = 0u; d4 < width4; d4++) { acc += dot(q_chunk[d4], k_tile[(mine_start + j) * DK4 + d4]); }
            s[j] = acc;
          }
        }
        if (d0 + DK_CHUNK >= params.dk) {
          // Last dk chunk: score the keys and fold them into the running softmax, BATCH at a time.
          // Without splits, one round per batch scores it and folds it; with splits, one round scores
          // this split's share, publishes it, and folds the row's whole tile.
          let rounds = select((keys + BATCH - 1u) / BATCH, 1u, split_mode);
          for (var round_index = 0u; round_index < rounds; round_index++) {
            var lo = round_index * BATCH;
            var hi = min(lo + BATCH, keys);
            if (split_mode) {
              lo = mine_start;
              hi = mine_end;
            }
            if (has_row) {
              for (var j = 0u; j < hi - lo; j++) {
                let key = j0 + lo + j;
                var visible = key >= row_start && key < row_end;
                if (visible && has_mask) { visible = mask[row * params.m + key] != 0u; }
                var score = neg_inf();
                if (visible) {
                  var acc = s[j];
                  if (one_dk_chunk) {
                    acc = 0.0;
                    for (var d4 = 0u; d4 < width4; d4++) { acc += dot(q_chunk[d4], k_tile[(lo + j) * DK4 + d4]); }
                  }
                  score = acc * params.scale / params.temperature;
                  if (reshape) { score = shaped(score, row, key, slope); }
                }
                s[j] = score;
              }
            }
            var fold_start = lo;
            var fold_end = hi;
            if (split_mode) {
              // Publish the share's scores in k_tile, once every split is done reading its keys;
              // then fold the row's whole tile.
              fold_start = 0u;
              fold_end = keys;
              workgroupBarrier();
              if (has_row) {
                for (var j = 0u; j < hi - lo; j++) {
                  let e = local_row * tile + lo + j;
                  k_tile[e / 4u][e % 4u] = s[j];
                }
              }
              workgroupBarrier();
            }
            if (has_row && c4_start < c4_end) {
              for (var b0 = fold_start; b0 < fold_end; b0 += BATCH) {
                let batch = min(BATCH, fold_end - b0);
                if (split_mode) {
                  for (var j = 0u; j < batch; j++) {
                    let e = local_row * tile + b0 + j;
                    s[j] = k_tile[e / 4u][e % 4u];
                  }
                }
                var batch_max = LOWEST;
                var any_visible = false;
                for (var j = 0u; j < batch; j++) {
                  if (!is_hidden(s[j])) {
                    batch_max = max(batch_max, s[j]);
                    any_visible = true;
                  }
                }
                if (any_visible) {
                  if (!seen) {
                    run_max = batch_max;
                    seen = true;
                  } else if (batch_max > run_max) {
                    // The max rose: rescale what was summed relative to the old max, once per batch.
                    let rescale = exp(run_max - batch_max);
                    denom *= rescale;
                    for (var c4 = c4_start; c4 < c4_end; c4++) { o[c4] *= rescale; }
                    run_max = batch_max;
                  }
                  for (var j = 0u; j < batch; j++) {
                    if (is_hidden(s[j])) { continue; }
                    let p = exp(s[j] - run_max);
                    denom += p;
                    for (var c4 = c4_start; c4 < c4_end; c4++) { o[c4] += p * v_tile[(b0 + j) * DV4 + c4]; }
                  }
                }
              }
            }
          }
        }
        workgroupBarrier();
      }
    }

    if (has_row) {
      // denom ≥ 1 once a key is visible (the max contributes exp(0)); 0 means a fully masked row.
      for (var c = 4u * c4_start; c < min(4u * c4_end, cols); c++) {
        var r = 0.0;
        if (denom > 0.0) { r = o[c / 4u][c % 4u] / denom; }
        out[row * v_width + head * params.dv + c0 + c] = r;
      }
    }
  }
}
