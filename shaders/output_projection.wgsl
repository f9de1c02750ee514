// Output projection, tiled: projected[i][c] = Σ_k heads_out[i][k] · wo[k][c], k over the h·dv
// concatenated head columns, c over d_model. A 16×16 workgroup computes a 16×16 tile of the result,
// walking k in chunks of 16 staged in workgroup memory (each value read from storage is used 16
// times). Runs after any variant when W_o is given. Interface: docs/kernel-interface.md.

const TILE: u32 = 16u;

struct Params {
  n: u32,            // query rows in this dispatch
  m: u32,
  dk: u32,
  dv: u32,           // value width per head
  heads: u32,
  flags: u32,
  causal_shift: i32,
  scale: f32,
  temperature: f32,
  d_model: u32,      // columns of W_o
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> heads_out: array<f32>;       // n × (heads·dv)
@group(0) @binding(2) var<storage, read> wo: array<f32>;              // (heads·dv) × d_model
@group(0) @binding(3) var<storage, read_write> projected: array<f32>; // n × d_model

var<workgroup> a_tile: array<array<f32, TILE>, TILE>;      // [row][k]
var<workgroup> w_tile: array<array<f32, TILE + 1u>, TILE>; // [k][c], padded against bank conflicts

@compute @workgroup_size(TILE, TILE)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let row = wid.y * TILE + lid.y;
  let col = wid.x * TILE + lid.x;
  let inner = params.heads * params.dv;

  var acc = 0.0;
  for (var k0 = 0u; k0 < inner; k0 += TILE) {
    let ka = k0 + lid.x; // the concatenated-output column this invocation stages
    var a = 0.0;
    if (row < params.n && ka < inner) { a = heads_out[row * inner + ka]; }
    a_tile[lid.y][lid.x] = a;
    let kw = k0 + lid.y; // the W_o row this invocation stages
    var w = 0.0;
    if (kw < inner && col < params.d_model) { w = wo[kw * params.d_model + col]; }
    w_tile[lid.y][lid.x] = w;
    workgroupBarrier();
    for (var t = 0u; t < TILE; t++) {
      acc += a_tile[lid.y][t] * w_tile[t][lid.x];
    }
    workgroupBarrier();
  }

  if (row >= params.n || col >= params.d_model) { return; }
  projected[row * params.d_model + col] = acc;
}
