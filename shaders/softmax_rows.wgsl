// Stage 2, workgroup-parallel, online: a workgroup of LANES × ROWS invocations owns ROWS score rows,
// and the LANES invocations of each row cooperate on it. The row is read twice, not three times:
// once for its max and its sum together, once to write the probabilities. Every lane walks every
// LANES-th element of its row keeping a running max M and a sum L of exp(s − M), rescaled by
// exp(M_old − M_new) when the max rises (online softmax); after one barrier every lane combines its
// row's LANES partials in lane order: the row max is the largest M, and the sum Σ L·exp(M − max).
// One barrier per workgroup, shared by ROWS rows: on a CPU emulation like SwiftShader barriers are
// what a kernel pays for most, and a 256-wide tree per row cost about 0.8 ms a row there.
// Subtracting the max keeps exp() from overflowing when scores are large. The rescaling rounds
// each term of the sum once more per raise of its lane's max and once at the combine; the bound
// (softmaxTolerance in src/core/tolerance.ts) counts it.
// Masked scores arrive as −∞ and get probability 0; a row with every key masked is all zeros.
// Attention sinks (FLAG_SINKS): head h's sink logit joins the max and the denominator as one more
// term, exp(sink − max), with no probability of its own: a row's weights then sum to less than 1,
// and a row with every key masked is still all zeros.
// Interface: docs/kernel-interface.md.

const LANES: u32 = 16u; // invocations per row
const ROWS: u32 = 16u;  // rows per workgroup
const LOWEST: f32 = -3.4028234663852886e38;
const FLAG_SINKS: u32 = 32u;
const SUPPORTS_SINKS = true;

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
@group(0) @binding(1) var<storage, read> scores: array<f32>;     // heads × n × m
@group(0) @binding(2) var<storage, read_write> probs: array<f32>; // heads × n × m
@group(0) @binding(3) var<storage, read> sinks: array<f32>;      // sink logit per head (FLAG_SINKS)

var<workgroup> part_max: array<array<f32, LANES>, ROWS>; // [row][lane] partial maxima
var<workgroup> part_sum: array<array<f32, LANES>, ROWS>; // [row][lane] partial sums

// Compare bits, not values: −∞ arithmetic is not guaranteed under fast-math GPU compilers.
fn is_masked(s: f32) -> bool {
  return bitcast<u32>(s) == 0xff800000u;
}

@compute @workgroup_size(LANES, ROWS)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let lane = lid.x;
  let r = lid.y;
  let row = wid.x * ROWS + r;
  // Rows past n (the grid rounds up) do no work but still reach the barrier.
  var end = 0u;
  if (row < params.n) { end = params.m; }
  let base = (wid.y * params.n + row) * params.m;

  // This lane's share of the row, in one read: running max and the sum of exp(s − max). A lane
  // that meets no visible score keeps L = 0 (and M = LOWEST, which no combine then uses).
  var lane_max = LOWEST;
  var lane_sum = 0.0;
  for (var j = lane; j < end; j += LANES) {
    let s = scores[base + j];
    if (!is_masked(s)) {
      if (s > lane_max) {
        // The first visible score finds lane_sum = 0: nothing to rescale (and exp(LOWEST − s)
        // is never computed).
        if (lane_sum > 0.0) { lane_sum *= exp(lane_max - s); }
        lane_max = s;
      }
      lane_sum += exp(s - lane_max);
    }
  }
  part_max[r][lane] = lane_max;
  part_sum[r][lane] = lane_sum;
  workgroupBarrier();
  var row_max = LOWEST;
  for (var l = 0u; l < LANES; l++) { row_max = max(row_max, part_max[r][l]); }
  // The sink is one more logit of the row: it joins the max and the sum.
  let has_sink = (params.flags & FLAG_SINKS) != 0u;
  var sink = 0.0;
  if (has_sink) {
    sink = sinks[wid.y];
    row_max = max(row_max, sink);
  }
  var row_sum = 0.0;
  if (has_sink) { row_sum = exp(sink - row_max); }
  for (var l = 0u; l < LANES; l++) {
    let partial = part_sum[r][l];
    if (partial > 0.0) { row_sum += partial * exp(part_max[r][l] - row_max); }
  }

  // Every visible row has sum > 0 (its max contributes exp(0)); 0 means every key was masked.
  let inv = select(0.0, 1.0 / row_sum, row_sum > 0.0);
  for (var j = lane; j < end; j += LANES) {
    let s = scores[base + j];
    var p = 0.0;
    if (row_sum > 0.0 && !is_masked(s)) { p = exp(s - row_max) * inv; }
    probs[base + j] = p;
  }
}
