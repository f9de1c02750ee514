// Fused attention, one pass ("flash attention"): out[i][h·dv + c] = Σ_j softmax_j(s_ij) · v[j][h·dv + c]
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
// Causal: the key loop ends at the last key visible to the workgroup's last row; rows before it
// stop at their own last key inside the final tile. Tiles past the causal end are never visited.
// −∞ never enters arithmetic: hidden scores are marked with −∞'s bits and tested as bits.
// Interface: docs/kernel-interface.md.

const ROWS: u32 = 64u;     // query rows per workgroup, one invocation each
const DK_CHUNK: u32 = 64u; // query/key columns staged at a time (a multiple of 4)
const DV_CHUNK: u32 = 64u; // value columns accumulated per sweep (a multiple of 4)
const BATCH: u32 = 16u;    // scores held privately at a time, whatever the tile size
const FLAG_CAUSAL: u32 = 1u;
const FLAG_MASK: u32 = 2u;
const LOWEST: f32 = -3.4028234663852886e38;

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
  flags: u32,        // FLAG_CAUSAL | FLAG_MASK
  causal_shift: i32, // key j is visible to row i when j <= i + causal_shift
  scale: f32,
  temperature: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> q: array<f32>;         // n × (heads·dk)
@group(0) @binding(2) var<storage, read> k: array<f32>;         // m × (heads·dk)
@group(0) @binding(3) var<storage, read> v: array<f32>;         // m × (heads·dv)
@group(0) @binding(4) var<storage, read> mask: array<u32>;      // n × m, non-zero = may attend
@group(0) @binding(5) var<storage, read_write> out: array<f32>; // n × (heads·dv)

const DK4: u32 = DK_CHUNK / 4u;
const DV4: u32 = DV_CHUNK / 4u;
var<workgroup> k_tile: array<vec4f, KEY_TILE * DK4>; // [key][d / 4], zero past dk
var<workgroup> v_tile: array<vec4f, KEY_TILE * DV4>; // [key][c / 4], zero past dv

fn neg_inf() -> f32 {
  var bits = 0xff800000u;
  return bitcast<f32>(bits);
}

fn is_hidden(s: f32) -> bool {
  return bitcast<u32>(s) == 0xff800000u;
}

// One past the last key visible (by causality) to query row `row`, within [0, limit].
fn causal_end(row: u32, limit: u32) -> u32 {
  if ((params.flags & FLAG_CAUSAL) == 0u) { return limit; }
  return u32(clamp(i32(row) + params.causal_shift + 1, 0, i32(limit)));
}

@compute @workgroup_size(ROWS)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lane: u32) {
  let head = wid.z;
  let first_row = wid.x * ROWS;
  let row = first_row + lane;
  let has_row = row < params.n;
  let qk_width = params.heads * params.dk;
  let v_width = params.heads * params.dv;
  let q_base = row * qk_width + head * params.dk;
  let has_mask = (params.flags & FLAG_MASK) != 0u;
  let one_dk_chunk = params.dk <= DK_CHUNK;
  // Keys per tile. A wide head (dk > DK_CHUNK) accumulates its scores across dk chunks, so its tile
  // is one private batch.
  let tile = select(min(KEY_TILE, BATCH), KEY_TILE, one_dk_chunk);

  // Keys any row of this workgroup can see (uniform: it bounds every loop with a barrier), and
  // keys this row can see.
  let key_end = causal_end(min(first_row + ROWS, params.n) - 1u, params.m);
  let row_end = causal_end(row, key_end);

  var q_chunk: array<vec4f, DK4>; // this row's dk chunk, zero past dk
  var s: array<f32, BATCH>;       // scores of the current batch; −∞ bits where hidden
  var o: array<vec4f, DV4>;       // running numerator Σ exp(s − run_max)·v for this dv chunk
  if (one_dk_chunk && has_row) {
    for (var d = 0u; d < params.dk; d++) { q_chunk[d / 4u][d % 4u] = q[q_base + d]; }
  }

  for (var c0 = 0u; c0 < params.dv; c0 += DV_CHUNK) {
    let cols = min(DV_CHUNK, params.dv - c0);
    let cols4 = (cols + 3u) / 4u;
    for (var c4 = 0u; c4 < cols4; c4++) { o[c4] = vec4f(0.0); }
    var run_max = LOWEST; // meaningful once seen
    var seen = false;     // a visible key has been folded in
    var denom = 0.0;      // running Σ exp(s − run_max)

    for (var j0 = 0u; j0 < key_end; j0 += tile) {
      let keys = min(tile, key_end - j0);
      for (var d0 = 0u; d0 < params.dk; d0 += DK_CHUNK) {
        let width = min(DK_CHUNK, params.dk - d0);
        let width4 = (width + 3u) / 4u;
        // Stage the tile: K's columns d0… and (once per tile) V's columns c0…, zero-padded.
        for (var e = lane; e < tile * DK_CHUNK; e += ROWS) {
          let j = e / DK_CHUNK;
          let d = e % DK_CHUNK;
          var x = 0.0;
          if (j < keys && d < width) { x = k[(j0 + j) * qk_width + head * params.dk + d0 + d]; }
          k_tile[e / 4u][e % 4u] = x;
        }
        if (d0 == 0u) {
          for (var e = lane; e < tile * DV_CHUNK; e += ROWS) {
            let j = e / DV_CHUNK;
            let c = e % DV_CHUNK;
            var x = 0.0;
            if (j < keys && c < cols) { x = v[(j0 + j) * v_width + head * params.dv + c0 + c]; }
            v_tile[e / 4u][e % 4u] = x;
          }
        }
        if (!one_dk_chunk && has_row) {
          for (var d = 0u; d < DK_CHUNK; d++) {
            var x = 0.0;
            if (d < width) { x = q[q_base + d0 + d]; }
            q_chunk[d / 4u][d % 4u] = x;
          }
        }
        workgroupBarrier();

        if (has_row && !one_dk_chunk) {
          // Wide head: partial dot products over this dk chunk (the tile is at most BATCH keys).
          for (var j = 0u; j < keys; j++) {
            var acc = 0.0;
            if (d0 != 0u) { acc = s[j]; }
            for (var d4 = 0u; d4 < width4; d4++) { acc += dot(q_chunk[d4], k_tile[j * DK4 + d4]); }
            s[j] = acc;
          }
        }
        if (has_row && d0 + DK_CHUNK >= params.dk) {
          // Last dk chunk: fold the tile into the running softmax, BATCH keys at a time.
          for (var b0 = 0u; b0 < keys; b0 += BATCH) {
            let batch = min(BATCH, keys - b0);
            let visible_end = max(row_end, j0 + b0) - (j0 + b0); // batch keys before the row's causal end
            var batch_max = LOWEST;
            var any_visible = false;
            for (var j = 0u; j < batch; j++) {
              var visible = j < visible_end;
              if (visible && has_mask) { visible = mask[row * params.m + j0 + b0 + j] != 0u; }
              var score = neg_inf();
              if (visible) {
                var acc = s[j];
                if (one_dk_chunk) {
                  acc = 0.0;
                  for (var d4 = 0u; d4 < width4; d4++) { acc += dot(q_chunk[d4], k_tile[(b0 + j) * DK4 + d4]); }
                }
                score = acc * params.scale / params.temperature;
                batch_max = max(batch_max, score);
                any_visible = true;
              }
              s[j] = score;
            }
            if (any_visible) {
              if (!seen) {
                run_max = batch_max;
                seen = true;
              } else if (batch_max > run_max) {
                // The max rose: rescale what was summed relative to the old max, once per batch.
                let rescale = exp(run_max - batch_max);
                denom *= rescale;
                for (var c4 = 0u; c4 < cols4; c4++) { o[c4] *= rescale; }
                run_max = batch_max;
              }
              for (var j = 0u; j < batch; j++) {
                if (is_hidden(s[j])) { continue; }
                let p = exp(s[j] - run_max);
                denom += p;
                for (var c4 = 0u; c4 < cols4; c4++) { o[c4] += p * v_tile[(b0 + j) * DV4 + c4]; }
              }
            }
          }
        }
        workgroupBarrier();
      }
    }

    if (has_row) {
      // denom ≥ 1 once a key is visible (the max contributes exp(0)); 0 means a fully masked row.
      for (var c = 0u; c < cols; c++) {
        var r = 0.0;
        if (denom > 0.0) { r = o[c / 4u][c % 4u] / denom; }
        out[row * v_width + head * params.dv + c0 + c] = r;
      }
    }
  }
}
