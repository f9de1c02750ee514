// BROKEN: the bounds check of the last partial tile uses d <= params.dk instead of d < params.dk (off by one).
// The tiled QKᵀ otherwise (16×16 tiles, dk walked in chunks of 16). When dk is a multiple of 16 the
// extra column is never reached; otherwise column dk, which belongs to the next row or head, is
// added into every dot product.

const TILE: u32 = 16u;
const FLAG_CAUSAL: u32 = 1u;
const FLAG_MASK: u32 = 2u;

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
@group(0) @binding(1) var<storage, read> q: array<f32>;       // n × (heads·dk)
@group(0) @binding(2) var<storage, read> k: array<f32>;       // m × (heads·dk)
@group(0) @binding(3) var<storage, read> mask: array<u32>;    // n × m, non-zero = may attend
@group(0) @binding(4) var<storage, read_write> scores: array<f32>; // heads × n × m

var<workgroup> q_tile: array<array<f32, TILE>, TILE>;      // [query row][d]
var<workgroup> k_tile: array<array<f32, TILE + 1u>, TILE>; // [key row][d], padded against bank conflicts

// −∞ built at run time: a constant −∞ is a shader-creation error in WGSL.
fn neg_inf() -> f32 {
  var bits = 0xff800000u;
  return bitcast<f32>(bits);
}

fn visible(row: u32, col: u32) -> bool {
  if ((params.flags & FLAG_CAUSAL) != 0u && i32(col) > i32(row) + params.causal_shift) {
    return false;
  }
  return (params.flags & FLAG_MASK) == 0u || mask[row * params.m + col] != 0u;
}

@compute @workgroup_size(TILE, TILE)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let head = wid.z;
  let row = wid.y * TILE + lid.y;   // query i
  let col = wid.x * TILE + lid.x;   // key j
  let key_row = wid.x * TILE + lid.y; // the key this invocation stages
  let stride = params.heads * params.dk;
  let head_offset = head * params.dk;

  var acc = 0.0;
  for (var d0 = 0u; d0 < params.dk; d0 += TILE) {
    let d = d0 + lid.x;
    var qv = 0.0;
    if (row < params.n && d <= params.dk) { qv = q[row * stride + head_offset + d]; }
    q_tile[lid.y][lid.x] = qv;
    var kv = 0.0;
    if (key_row < params.m && d <= params.dk) { kv = k[key_row * stride + head_offset + d]; }
    k_tile[lid.y][lid.x] = kv;
    workgroupBarrier();
    for (var t = 0u; t < TILE; t++) {
      acc += q_tile[lid.y][t] * k_tile[lid.x][t];
    }
    workgroupBarrier();
  }

  if (row >= params.n || col >= params.m) { return; }
  var s = acc * params.scale / params.temperature;
  if (!visible(row, col)) { s = neg_inf(); }
  scores[(head * params.n + row) * params.m + col] = s;
}
