// BROKEN: no workgroupBarrier() between staging the P and V tiles and reading them (a race).
// The tiled P·V otherwise. Each invocation writes one entry of p_tile and v_tile and then reads a
// whole row and column of them, entries other invocations write: without the barrier it can read
// them before they are written (stale values from the previous tile, or the initial zeros).

const TILE: u32 = 16u;

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
@group(0) @binding(1) var<storage, read> probs: array<f32>;     // heads × n × m
@group(0) @binding(2) var<storage, read> v: array<f32>;         // m × (heads·dv)
@group(0) @binding(3) var<storage, read_write> out: array<f32>; // n × (heads·dv)

var<workgroup> p_tile: array<array<f32, TILE>, TILE>;      // [query row][key]
var<workgroup> v_tile: array<array<f32, TILE + 1u>, TILE>; // [key][value column]

@compute @workgroup_size(TILE, TILE)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let head = wid.z;
  let row = wid.y * TILE + lid.y; // query i
  let col = wid.x * TILE + lid.x; // value column c within the head
  let width = params.heads * params.dv;
  let p_base = (head * params.n + row) * params.m;

  var acc = 0.0;
  for (var j0 = 0u; j0 < params.m; j0 += TILE) {
    let jp = j0 + lid.x; // key whose probability this invocation stages
    var pv = 0.0;
    if (row < params.n && jp < params.m) { pv = probs[p_base + jp]; }
    p_tile[lid.y][lid.x] = pv;
    let jv = j0 + lid.y; // key whose value this invocation stages
    var vv = 0.0;
    if (jv < params.m && col < params.dv) { vv = v[jv * width + head * params.dv + col]; }
    v_tile[lid.y][lid.x] = vv;
    // (the workgroupBarrier() that belonged here is missing)
    for (var t = 0u; t < TILE; t++) {
      acc += p_tile[lid.y][t] * v_tile[t][lid.x];
    }
    workgroupBarrier();
  }

  if (row >= params.n || col >= params.dv) { return; }
  out[row * width + head * params.dv + col] = acc;
}
