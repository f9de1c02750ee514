// Fused attention, one pass ("flash attention"): out[i][h·dv + c] = Σ_j softmax_j(s_ij) · v[j][g·dv + c]
// with s_ij = (q_i · k_j) · scale / temperature, without ever writing the scores to memory.
//
// Online softmax in exp2 units. Q is multiplied once by scale / temperature · log2 e, so a score
// is s·log2 e and its weight exp2(score − max) = exp(s − max). Each row keeps a running max M, a
// running denominator L = Σ exp2(s − M) and a running numerator o = Σ exp2(s − M)·v. Keys are folded
// four at a time (a vec4 of scores, aligned to multiples of 4 in the key index); when a batch raises
// the max, L and o are rescaled once. The output is o / L; a row with no visible key writes zeros.
//
// Split-KV (flash decoding): grid y is the key split. Split s covers keys
// [s·split_keys, min((s + 1)·split_keys, m)); with key_splits = 1 the kernel writes `out`, else it
// writes its unnormalised o, M and L to `partials` and the combine stage (flash_combine.wgsl)
// merges the splits. A split that sees no key writes L = 0, M = −∞, o = 0. The sink starts split 0
// only (M = sink, L = 1), so it counts once.
//
// Two shapes of workgroup, chosen by the engine from the whole problem (DECODE):
// - 64 rows (DECODE false): one query row per invocation. Per key tile the workgroup stages KEY_TILE keys
//   and their values in workgroup memory; each invocation scores its row against the tile four keys
//   at a time, dims outer and keys inner in four independent accumulators.
// - 1 row (DECODE true: decoding, few query rows): the 64 invocations take distinct batches of four keys of the
//   row (batch b of the split goes to invocation b mod 64), each reading K and V straight from
//   memory (one row gains nothing from staging) and keeping its own M, L and o; at the end they
//   are merged in the workgroup, as the combine merges splits (where the device has subgroups, the
//   engine swaps in shaders/subgroups/fused.wgsl, which merges each subgroup in registers first, and
//   on a GPU gives each key to a quad of lanes, each holding a quarter of the columns, and the query
//   heads of a K/V group to one workgroup, which reads each key once for all of them).
// A row's arithmetic depends on the problem and its own index only, never on which rows share its
// dispatch: a run in row blocks, or of a range of rows, gives the same bits as one run.
//
// Head widths are pipeline constants (HEAD_DK, DV_CHUNK, set by the engine to a bucket of dk and
// dv: 64, 128, then multiples of 128 for dk), so the loops over dims have constant trip counts
// and the compiler can unroll them into registers. Q is kept in registers up to 128 dims (read from
// memory past that); dv is walked in sweeps of DV_CHUNK ≤ 128 columns, each sweep recomputing the
// scores. Padding columns are zeros.
//
// Workgroup memory: the key tile holds KEY_TILE keys of HEAD_DK key columns and DV_CHUNK value
// columns, sized to fit 16 KiB (WebGPU's default limit, and small enough that a compute unit holds
// several workgroups), whatever the adapter offers: 32 keys at dk = dv = 64.
//
// The features: query head h reads K/V head g = ⌊h / (heads / kv_heads)⌋; each score is capped
// (c·tanh(s/c)) and biased by ALiBi (−slope_h · distance); causal rows stop at their last visible
// key; a sliding window starts the key loop at the first key the workgroup's first row sees
// (tiles outside every row's window, and splits outside it, are never visited); the mask hides keys.
// −∞ never enters arithmetic: visibility is a vec4<bool>.
// Interface: docs/kernel-interface.md.

const WG: u32 = 64u;        // invocations per workgroup
const Q_PRIVATE: u32 = 32u; // vec4s of Q held in registers (dk ≤ 128)
const O_PRIVATE: u32 = 32u; // vec4s of the running output (DV_CHUNK ≤ 128)
const FLAG_CAUSAL: u32 = 1u;
const FLAG_MASK: u32 = 2u;
const FLAG_WINDOW: u32 = 4u;
const FLAG_ALIBI: u32 = 8u;
const FLAG_SOFTCAP: u32 = 16u;
const FLAG_SINKS: u32 = 32u;
const LOG2E: f32 = 1.4426950408889634;
const LOWEST: f32 = -3.4028234663852886e38;
const WINDOW_CAP: u32 = 0x3fffffffu; // wider windows hide nothing; keeps i32 arithmetic in range
const SUPPORTS_KV_HEADS = true;
const SUPPORTS_WINDOW = true;
const SUPPORTS_ALIBI = true;
const SUPPORTS_SOFTCAP = true;
const SUPPORTS_SINKS = true;
const SUPPORTS_KEY_SPLITS = true;

// Set by the engine (docs/kernel-interface.md); the defaults serve dk, dv ≤ 64 and many rows.
override WORKGROUP_BYTES: u32 = 16384u;     // the device's limit; the tile uses at most 16 KiB of it
override HEAD_DK: u32 = 64u;                // ≥ dk, a multiple of 4
override DV_CHUNK: u32 = 64u;               // value columns per sweep, a multiple of 4, ≤ 128
override DECODE: bool = false;              // one row per workgroup (the grid follows) instead of 64
override DK4: u32 = HEAD_DK / 4u;
override DV4: u32 = min(DV_CHUNK, 4u * O_PRIVATE) / 4u; // a sweep's vec4s of value columns
override TILE_FIT: u32 = min(WORKGROUP_BYTES, 16384u) / (16u * (DK4 + DV4));
// The largest power of two ≤ 64 keys that fits (at least 4: a batch).
override KEY_TILE: u32 = select(select(select(select(4u, 8u, TILE_FIT >= 8u), 16u, TILE_FIT >= 16u), 32u, TILE_FIT >= 32u), 64u, TILE_FIT >= 64u);
// Workgroup memory: the prefill's key tile; decoding uses it for its merge only, in rounds of
// columns, and gets 4 vec4s per invocation. (Every workgroup's memory is zero-filled before it runs,
// which a CPU emulator does on its cores: 16 KiB cost SwiftShader ~0.6 ms per workgroup, as much as
// ~1 200 keys of a decode; BENCHMARKS.md.)
override SHARED: u32 = select(max(KEY_TILE * (DK4 + DV4), 2u * WG), 4u * WG, DECODE);

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
  rope_base: f32,
  rope_dims: u32,
  position_offset: i32,
  key_splits: u32,   // splits along grid y
  split_keys: u32,   // keys per split, a multiple of 64
}

@group(0) @binding(0) var<uniform> params: Params;
// @binding(1–3): Q, K and V, declared in the storage block below with the only reads of them.
@group(0) @binding(4) var<storage, read> mask: array<u32>;           // n × m, non-zero = may attend
@group(0) @binding(5) var<storage, read_write> out: array<f32>;      // n × (heads·dv)
@group(0) @binding(6) var<storage, read> slopes: array<f32>;         // ALiBi slope per query head (FLAG_ALIBI)
@group(0) @binding(7) var<storage, read> sinks: array<f32>;          // sink logit per query head (FLAG_SINKS)
@group(0) @binding(8) var<storage, read_write> partials: array<f32>; // per split: o, then (M, L)

// Prefill: the key tile, [key][HEAD_DK / 4] then [key][DV_CHUNK / 4] at KEY_TILE·DK4, zero-padded.
// Decoding: the merge's scratch.
var<workgroup> shared_mem: array<vec4f, SHARED>;

// What one workgroup computes, fixed for the whole dispatch or for its row.
struct Job {
  head: u32,
  kv_head: u32,
  split: u32,
  split_lo: u32, // the split's keys [split_lo, split_hi)
  split_hi: u32,
  qscale: f32,   // scale / temperature · log2 e
  slope: f32,    // ALiBi slope · log2 e
}

fn neg_inf() -> f32 {
  var bits = 0xff800000u;
  return bitcast<f32>(bits);
}

fn window_width() -> i32 {
  return i32(min(params.window, WINDOW_CAP));
}

// One past the last key visible to query row `row`, within [0, limit]: causal, else a window's end.
fn key_end(row: u32, limit: u32) -> u32 {
  let flags = params.flags & (FLAG_CAUSAL | FLAG_WINDOW);
  if (flags == 0u) { return limit; }
  var last = i32(row) + params.causal_shift + 1;
  if (flags == FLAG_WINDOW) { last = i32(row) + params.causal_shift + window_width(); }
  return u32(clamp(last, 0, i32(limit)));
}

// The first key query row `row` may see: the start of its window (0 without one).
fn key_start(row: u32) -> u32 {
  if ((params.flags & FLAG_WINDOW) == 0u) { return 0u; }
  return u32(clamp(i32(row) + params.causal_shift - window_width() + 1, 0, i32(params.m)));
}

fn make_job(wid: vec3u) -> Job {
  var job: Job;
  job.head = wid.z;
  job.kv_head = wid.z / (params.heads / params.kv_heads);
  job.split = wid.y;
  job.split_lo = min(wid.y * params.split_keys, params.m);
  job.split_hi = min(job.split_lo + params.split_keys, params.m);
  if (params.key_splits <= 1u) { job.split_hi = params.m; }
  job.qscale = params.scale / params.temperature * LOG2E;
  job.slope = 0.0;
  if ((params.flags & FLAG_ALIBI) != 0u) { job.slope = slopes[wid.z] * LOG2E; }
  return job;
}

// A running (M, L) at the start of a row's split: the sink, for its holder in split 0 (it counts
// once: M = the sink's logit, L = 1), else nothing seen yet (L = 0).
fn sink_start(job: Job, holder: bool) -> vec2f {
  if (holder && job.split == 0u && (params.flags & FLAG_SINKS) != 0u) { return vec2f(sinks[job.head] * LOG2E, 1.0); }
  return vec2f(0.0);
}

// Keys key0 … key0 + 3 visible to `row`: inside [start, end) and not masked.
fn visible4(row: u32, key0: u32, start: u32, end: u32) -> vec4<bool> {
  let keys = vec4u(key0) + vec4u(0u, 1u, 2u, 3u);
  var vis = (keys >= vec4u(start)) & (keys < vec4u(end));
  if ((params.flags & FLAG_MASK) != 0u) {
    let b = row * params.m + key0;
    // Only keys inside [start, end) ⊆ [0, m) are read.
    if (vis.x) { vis.x = mask[b] != 0u; }
    if (vis.y) { vis.y = mask[b + 1u] != 0u; }
    if (vis.z) { vis.z = mask[b + 2u] != 0u; }
    if (vis.w) { vis.w = mask[b + 3u] != 0u; }
  }
  return vis;
}

// The features that reshape a score (in exp2 units): the logit softcap, then the ALiBi bias.
fn shaped4(scores: vec4f, row: u32, key0: u32, job: Job) -> vec4f {
  var s = scores;
  if ((params.flags & FLAG_SOFTCAP) != 0u) {
    // tanh is 1 in float32 past |x| = 15; clamping keeps its exp() from overflowing.
    let c = params.softcap;
    s = (c * LOG2E) * tanh(clamp(s / (c * LOG2E), vec4f(-15.0), vec4f(15.0)));
  }
  if ((params.flags & FLAG_ALIBI) != 0u) {
    let distance = vec4i(i32(row) + params.causal_shift - i32(key0)) - vec4i(0, 1, 2, 3);
    s -= job.slope * vec4f(distance);
  }
  return s;
}

// A batch of scores folded into a row's running max and denominator: the batch's weights (0 where
// hidden), and the factor the row's running output must be scaled by (1 unless the batch raised the
// max; scaling by 1 changes nothing, so a caller may skip it).
struct Folded {
  p: vec4f,
  rescale: f32,
}

// Folds a batch of scores into the running max and denominator (rescaling the denominator once when
// the max rises); the caller scales its o by `rescale`.
fn fold_stats(run_max: ptr<function, f32>, denom: ptr<function, f32>, s: vec4f, vis: vec4<bool>) -> Folded {
  var f: Folded;
  f.rescale = 1.0;
  let sv = select(vec4f(LOWEST), s, vis);
  let batch_max = max(max(sv.x, sv.y), max(sv.z, sv.w));
  if (*denom == 0.0) {
    *run_max = batch_max;
  } else if (batch_max > *run_max) {
    f.rescale = exp2(*run_max - batch_max);
    *denom *= f.rescale;
    *run_max = batch_max;
  }
  f.p = select(vec4f(0.0), exp2(sv - *run_max), vis);
  *denom += (f.p.x + f.p.y) + (f.p.z + f.p.w);
  return f;
}

// Folds a batch of scores into the running max, denominator and o (rescaled once per batch when the
// max rises); returns the batch's weights, 0 where hidden.
fn fold(run_max: ptr<function, f32>, denom: ptr<function, f32>, o: ptr<function, array<vec4f, O_PRIVATE>>, s: vec4f, vis: vec4<bool>) -> vec4f {
  let f = fold_stats(run_max, denom, s, vis);
  if (f.rescale != 1.0) {
    for (var c4 = 0u; c4 < DV4; c4++) { (*o)[c4] *= f.rescale; }
  }
  return f.p;
}

// @storage-begin
// Q, K and V, and the only reads of them: four floats from element `at`, zero past `limit`
// (elements at or after it belong to someone else; limit ≥ 1). With f16 storage (RunOptions.precision
// 'f16') the engine replaces this block with shaders/storage/f16.wgsl: the same functions over packed
// halves. The tensors are read as vec4s (element e is component e mod 4 of word e / 4; the engine
// pads each buffer to whole vec4s): when every row starts on a vec4 (VEC4_ROWS: dk and dv multiples
// of 4, set by the engine), a read is one 16-byte load.
@group(0) @binding(1) var<storage, read> q: array<vec4f>; // n × (heads·dk)
@group(0) @binding(2) var<storage, read> k: array<vec4f>; // m × (kv_heads·dk)
@group(0) @binding(3) var<storage, read> v: array<vec4f>; // m × (kv_heads·dv)
override VEC4_ROWS: bool = false;

// Every read is at an element in [at, limit − 1] (a row's own elements), and what lies at or past
// `limit` is zeroed by a select: no branch, so the loads — and those of the calls after it, once a
// loop over them is unrolled — can all be in flight together. Behind a branch per call, a GPU that
// issues in order waits for each read before making the next. With VEC4_ROWS, `at` < limit is a
// multiple of 4 with at + 3 < limit: the four are one vec4.
fn within(at: u32, limit: u32, x: vec4f) -> vec4f {
  return select(vec4f(0.0), x, vec4u(at) + vec4u(0u, 1u, 2u, 3u) < vec4u(limit));
}

fn k4(at: u32, limit: u32) -> vec4f {
  let last = limit - 1u;
  if (VEC4_ROWS) { return select(vec4f(0.0), k[min(at, last) >> 2u], at < limit); }
  let i = min(vec4u(at) + vec4u(0u, 1u, 2u, 3u), vec4u(last));
  return within(at, limit, vec4f(k[i.x >> 2u][i.x & 3u], k[i.y >> 2u][i.y & 3u], k[i.z >> 2u][i.z & 3u], k[i.w >> 2u][i.w & 3u]));
}

fn v4(at: u32, limit: u32) -> vec4f {
  let last = limit - 1u;
  if (VEC4_ROWS) { return select(vec4f(0.0), v[min(at, last) >> 2u], at < limit); }
  let i = min(vec4u(at) + vec4u(0u, 1u, 2u, 3u), vec4u(last));
  return within(at, limit, vec4f(v[i.x >> 2u][i.x & 3u], v[i.y >> 2u][i.y & 3u], v[i.z >> 2u][i.z & 3u], v[i.w >> 2u][i.w & 3u]));
}

fn q4(at: u32, limit: u32) -> vec4f {
  let last = limit - 1u;
  if (VEC4_ROWS) { return select(vec4f(0.0), q[min(at, last) >> 2u], at < limit); }
  let i = min(vec4u(at) + vec4u(0u, 1u, 2u, 3u), vec4u(last));
  return within(at, limit, vec4f(q[i.x >> 2u][i.x & 3u], q[i.y >> 2u][i.y & 3u], q[i.z >> 2u][i.z & 3u], q[i.w >> 2u][i.w & 3u]));
}
// @storage-end

// Where a split's partial output element (row, column c) and its (M, L) live.
fn partial_o(job: Job, row: u32, c: u32) -> u32 {
  return ((job.head * params.key_splits + job.split) * params.n + row) * params.dv + c;
}

fn partial_stats(job: Job, row: u32) -> u32 {
  let base = params.heads * params.key_splits * params.n * params.dv;
  return base + ((job.head * params.key_splits + job.split) * params.n + row) * 2u;
}

// Writes value columns c0 + 4·c4 … of a row: o / L without splits, o itself into partials with them.
fn write4(job: Job, row: u32, c: u32, x: vec4f, denom: f32) {
  for (var i = 0u; i < 4u; i++) {
    if (c + i >= params.dv) { break; }
    if (params.key_splits > 1u) {
      partials[partial_o(job, row, c + i)] = x[i];
    } else {
      var r = 0.0;
      if (denom > 0.0) { r = x[i] / denom; }
      out[row * params.heads * params.dv + job.head * params.dv + c + i] = r;
    }
  }
}

fn write_stats(job: Job, row: u32, run_max: f32, denom: f32) {
  if (params.key_splits > 1u) {
    let at = partial_stats(job, row);
    partials[at] = select(neg_inf(), run_max, denom > 0.0);
    partials[at + 1u] = denom;
  }
}

// Staging a tile into shared_mem: each invocation first reads STAGE_BATCH vec4s (at e, e + 64, …)
// into registers and only then stores them, so that its reads are in flight together instead of
// one round trip to memory each (a loop that stores each read before making the next one waits
// on every read in turn). On an H200 at full clock this made the 64-row shape 1.37× faster at
// N = 4096 and 1.25× at N = 8192 (8 heads, dk = 64; BENCHMARKS.md).
const STAGE_BATCH: u32 = 8u;

// Keys t0 … t0 + keys − 1 (HEAD_DK columns, zero past dk and past the keys) into rows 0 … tile − 1.
fn stage_keys(job: Job, t0: u32, keys: u32, lane: u32, tile: u32, base: u32) {
  let k_width = params.kv_heads * params.dk;
  let total = tile * DK4;
  for (var e0 = lane; e0 < total; e0 += STAGE_BATCH * WG) {
    var x: array<vec4f, STAGE_BATCH>;
    for (var i = 0u; i < STAGE_BATCH; i++) {
      let e = e0 + i * WG;
      let j = e / DK4;
      // A row past the tile's keys reads the last key (no branch around the read) and stores zeros.
      let key_row = (t0 + min(j, keys - 1u)) * k_width + job.kv_head * params.dk;
      x[i] = select(vec4f(0.0), k4(key_row + 4u * (e % DK4), key_row + params.dk), j < keys);
    }
    for (var i = 0u; i < STAGE_BATCH; i++) {
      let e = e0 + i * WG;
      if (e < total) { shared_mem[base + e] = x[i]; }
    }
  }
}

// Value columns c0 … c0 + DV_CHUNK − 1 of keys t0 … t0 + keys − 1 (zero past dv and the keys).
fn stage_values(job: Job, t0: u32, keys: u32, c0: u32, lane: u32, tile: u32, base: u32) {
  let v_width = params.kv_heads * params.dv;
  let total = tile * DV4;
  for (var e0 = lane; e0 < total; e0 += STAGE_BATCH * WG) {
    var x: array<vec4f, STAGE_BATCH>;
    for (var i = 0u; i < STAGE_BATCH; i++) {
      let e = e0 + i * WG;
      let j = e / DV4;
      let value_row = (t0 + min(j, keys - 1u)) * v_width + job.kv_head * params.dv;
      x[i] = select(vec4f(0.0), v4(value_row + c0 + 4u * (e % DV4), value_row + params.dv), j < keys);
    }
    for (var i = 0u; i < STAGE_BATCH; i++) {
      let e = e0 + i * WG;
      if (e < total) { shared_mem[base + e] = x[i]; }
    }
  }
}

fn prefill(job: Job, wid: vec3u, lane: u32) {
  let first_row = wid.x * WG;
  let rows_here = min(WG, params.n - first_row);
  let row = first_row + lane;
  let has_row = lane < rows_here;
  let q_base = row * params.heads * params.dk + job.head * params.dk;
  let q_limit = q_base + params.dk;
  // Keys any row of the workgroup sees within the split (uniform: it bounds loops with barriers),
  // from a multiple of the tile so every row meets the same tiles in any workgroup.
  let keys_lo = max(job.split_lo, key_start(first_row) / KEY_TILE * KEY_TILE);
  let keys_hi = min(job.split_hi, key_end(first_row + rows_here - 1u, params.m));
  let row_start = key_start(row);
  let row_end = min(key_end(row, params.m), keys_hi);

  var qr: array<vec4f, Q_PRIVATE>;
  if (has_row) {
    for (var d4 = 0u; d4 < min(DK4, Q_PRIVATE); d4++) { qr[d4] = q4(q_base + 4u * d4, q_limit) * job.qscale; }
  }
  var o: array<vec4f, O_PRIVATE>;
  for (var c0 = 0u; c0 < params.dv; c0 += 4u * DV4) {
    for (var c4 = 0u; c4 < DV4; c4++) { o[c4] = vec4f(0.0); }
    let start = sink_start(job, true);
    var run_max = start.x;
    var denom = start.y;
    for (var j0 = keys_lo; j0 < keys_hi; j0 += KEY_TILE) {
      let keys = min(KEY_TILE, keys_hi - j0);
      // Stage the tile's keys and values, four columns at a time, zero past dk, dv and the keys.
      stage_keys(job, j0, keys, lane, KEY_TILE, 0u);
      stage_values(job, j0, keys, c0, lane, KEY_TILE, KEY_TILE * DK4);
      workgroupBarrier();
      if (has_row) {
        for (var b = 0u; b < keys; b += 4u) {
          let key0 = j0 + b;
          if (key0 >= row_end) { break; }
          if (key0 + 4u <= row_start) { continue; }
          var acc = vec4f(0.0);
          for (var d4 = 0u; d4 < DK4; d4++) {
            var qv: vec4f;
            if (d4 < Q_PRIVATE) { qv = qr[min(d4, Q_PRIVATE - 1u)]; } else { qv = q4(q_base + 4u * d4, q_limit) * job.qscale; }
            acc += vec4f(dot(qv, shared_mem[b * DK4 + d4]), dot(qv, shared_mem[(b + 1u) * DK4 + d4]),
                         dot(qv, shared_mem[(b + 2u) * DK4 + d4]), dot(qv, shared_mem[(b + 3u) * DK4 + d4]));
          }
          let vis = visible4(row, key0, row_start, row_end);
          if (!any(vis)) { continue; }
          let p = fold(&run_max, &denom, &o, shaped4(acc, row, key0, job), vis);
          let vb = KEY_TILE * DK4 + b * DV4;
          for (var c4 = 0u; c4 < DV4; c4++) {
            o[c4] += p.x * shared_mem[vb + c4] + p.y * shared_mem[vb + DV4 + c4] + p.z * shared_mem[vb + 2u * DV4 + c4] + p.w * shared_mem[vb + 3u * DV4 + c4];
          }
        }
      }
      workgroupBarrier();
    }
    if (has_row) {
      for (var c4 = 0u; c4 < DV4; c4++) {
        if (c0 + 4u * c4 >= params.dv) { break; }
        write4(job, row, c0 + 4u * c4, o[c4], denom);
      }
      if (c0 == 0u) { write_stats(job, row, run_max, denom); }
    }
  }
}

fn decode(job: Job, wid: vec3u, lane: u32, subgroup_lanes: u32) {
  let row = wid.x;
  let has_row = row < params.n;
  let k_width = params.kv_heads * params.dk;
  let v_width = params.kv_heads * params.dv;
  let q_base = row * params.heads * params.dk + job.head * params.dk;
  let q_limit = q_base + params.dk;
  let row_start = max(key_start(row), job.split_lo);
  let row_end = min(key_end(row, params.m), job.split_hi);
  // Batches of four keys aligned to multiples of 4; batch b of the row's range goes to lane b mod 64.
  let first = row_start / 4u * 4u;

  var qr: array<vec4f, Q_PRIVATE>;
  if (has_row) {
    for (var d4 = 0u; d4 < min(DK4, Q_PRIVATE); d4++) { qr[d4] = q4(q_base + 4u * d4, q_limit) * job.qscale; }
  }
  var o: array<vec4f, O_PRIVATE>;
  for (var c0 = 0u; c0 < params.dv; c0 += 4u * DV4) {
    for (var c4 = 0u; c4 < DV4; c4++) { o[c4] = vec4f(0.0); }
    let start = sink_start(job, lane == 0u);
    var run_max = start.x;
    var denom = start.y;
    if (has_row) {
      for (var key0 = first + 4u * lane; key0 < row_end; key0 += 4u * WG) {
        var acc = vec4f(0.0);
        var kb = vec4u(0u);
        for (var i = 0u; i < 4u; i++) { kb[i] = min(key0 + i, params.m - 1u) * k_width + job.kv_head * params.dk; }
        for (var d4 = 0u; d4 < DK4; d4++) {
          var qv: vec4f;
          if (d4 < Q_PRIVATE) { qv = qr[min(d4, Q_PRIVATE - 1u)]; } else { qv = q4(q_base + 4u * d4, q_limit) * job.qscale; }
          let d = 4u * d4;
          acc += vec4f(dot(qv, k4(kb.x + d, kb.x + params.dk)), dot(qv, k4(kb.y + d, kb.y + params.dk)),
                       dot(qv, k4(kb.z + d, kb.z + params.dk)), dot(qv, k4(kb.w + d, kb.w + params.dk)));
        }
        let vis = visible4(row, key0, row_start, row_end);
        if (!any(vis)) { continue; }
        let p = fold(&run_max, &denom, &o, shaped4(acc, row, key0, job), vis);
        var vrow = vec4u(0u);
        for (var i = 0u; i < 4u; i++) { vrow[i] = min(key0 + i, params.m - 1u) * v_width + job.kv_head * params.dv; }
        for (var c4 = 0u; c4 < DV4; c4++) {
          let c = c0 + 4u * c4;
          o[c4] += p.x * v4(vrow.x + c, vrow.x + params.dv) + p.y * v4(vrow.y + c, vrow.y + params.dv)
                 + p.z * v4(vrow.z + c, vrow.z + params.dv) + p.w * v4(vrow.w + c, vrow.w + params.dv);
        }
      }
    }
    merge(job, row, lane, subgroup_lanes, c0, run_max, denom, &o);
  }
}

// The merged (M, L) of `count` partial softmaxes whose (M, L) lie in shared_mem[0 … count − 1] as
// (x, y) (L = 0 for one that saw no key), as the combine merges splits: M = the largest M of one with
// L > 0, L = Σ L·exp2(M_p − M) in index order, so every lane that reads them gets the same bits.
fn merged_stats(count: u32) -> vec2f {
  var merged_max = 0.0;
  var seen = false;
  for (var p = 0u; p < count; p++) {
    let st = shared_mem[p];
    if (st.y > 0.0) {
      merged_max = select(max(merged_max, st.x), st.x, !seen);
      seen = true;
    }
  }
  var merged_denom = 0.0;
  for (var p = 0u; p < count; p++) {
    let st = shared_mem[p];
    if (st.y > 0.0) { merged_denom += st.y * exp2(st.x - merged_max); }
  }
  return vec2f(merged_max, merged_denom);
}

// One round of a merge's output: with `count` slots of per_round vec4s in shared_mem (slot p's
// columns base … at p·per_round …), lane c < per_round sums column vec4 base + c over the slots in
// slot order and writes it to the row's sweep c0 …; the last round of the row's first sweep also
// writes its (M, L).
fn write_merged(job: Job, row: u32, lane: u32, c0: u32, base: u32, per_round: u32, count: u32, merged: vec2f) {
  if (row < params.n && lane < per_round && base + lane < DV4) {
    var sum = vec4f(0.0);
    for (var p = 0u; p < count; p++) { sum += shared_mem[p * per_round + lane]; }
    let c = c0 + 4u * (base + lane);
    if (c < params.dv) { write4(job, row, c, sum, merged.y); }
  }
  if (row < params.n && lane == 0u && c0 == 0u && base + per_round >= DV4) { write_stats(job, row, merged.x, merged.y); }
}

// The decoding shape's merge through workgroup memory (any device): the 64 lanes' (M, L, o) are
// merged as the combine merges splits (merged_stats), each lane's o scaled by exp2(M_lane − M) and
// summed in lane order. Writes the row's sweep of columns c0 … and, in the first sweep, its (M, L).
fn merge_lanes(job: Job, row: u32, lane: u32, c0: u32, run_max: f32, denom: f32, o: ptr<function, array<vec4f, O_PRIVATE>>) {
  shared_mem[lane] = vec4f(run_max, denom, 0.0, 0.0);
  workgroupBarrier();
  let merged = merged_stats(WG);
  var factor = 0.0;
  if (denom > 0.0) { factor = exp2(run_max - merged.x); }
  workgroupBarrier();
  // o in rounds of columns that fit workgroup memory; the loop over c4 has a constant trip count,
  // so o is indexed by constants only (a private array indexed at run time may leave the registers).
  let per_round = min(DV4, SHARED / WG);
  for (var base = 0u; base < DV4; base += per_round) {
    for (var c4 = 0u; c4 < DV4; c4++) {
      if (c4 >= base && c4 < base + per_round) { shared_mem[lane * per_round + c4 - base] = (*o)[c4] * factor; }
    }
    workgroupBarrier();
    write_merged(job, row, lane, c0, base, per_round, WG, merged);
    workgroupBarrier();
  }
}

// @subgroups-begin
// The entry point and the decoding shape's merge. Where the device has `subgroups` (and lays them
// out as consecutive lanes), the engine swaps this block for shaders/subgroups/fused.wgsl
// (src/gpu/subgroups.ts): the same entry point with the subgroup size, and a merge that reduces
// each subgroup in registers first. Here: no subgroups, the merge through workgroup memory.
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lane: u32) {
  let job = make_job(wid);
  if (DECODE) {
    decode(job, wid, lane, 1u);
  } else {
    prefill(job, wid, lane);
  }
}

fn merge(job: Job, row: u32, lane: u32, subgroup_lanes: u32, c0: u32, run_max: f32, denom: f32, o: ptr<function, array<vec4f, O_PRIVATE>>) {
  merge_lanes(job, row, lane, c0, run_max, denom, o);
}
// @subgroups-end
