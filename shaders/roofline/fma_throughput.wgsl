// Roofline microbenchmark, compute side: every invocation runs 8 independent chains of dependent
// fused multiply-adds (independent chains hide the FMA latency; dependence stops the compiler from
// folding them away). Each loop iteration does 4 × 8 = 32 FMAs = 64 FLOPs; the sum is stored so
// no chain is dead code. x and y come from a uniform, so nothing is known at compile time.

struct Params {
  iterations: u32,
  x: f32,
  y: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let x = params.x;
  let y = params.y;
  let start = f32(gid.x & 1023u) * 1e-4;
  var a0 = start;
  var a1 = start + 0.1;
  var a2 = start + 0.2;
  var a3 = start + 0.3;
  var a4 = start + 0.4;
  var a5 = start + 0.5;
  var a6 = start + 0.6;
  var a7 = start + 0.7;
  for (var i = 0u; i < params.iterations; i++) {
    a0 = fma(a0, x, y); a1 = fma(a1, x, y); a2 = fma(a2, x, y); a3 = fma(a3, x, y);
    a4 = fma(a4, x, y); a5 = fma(a5, x, y); a6 = fma(a6, x, y); a7 = fma(a7, x, y);
    a0 = fma(a0, x, y); a1 = fma(a1, x, y); a2 = fma(a2, x, y); a3 = fma(a3, x, y);
    a4 = fma(a4, x, y); a5 = fma(a5, x, y); a6 = fma(a6, x, y); a7 = fma(a7, x, y);
    a0 = fma(a0, x, y); a1 = fma(a1, x, y); a2 = fma(a2, x, y); a3 = fma(a3, x, y);
    a4 = fma(a4, x, y); a5 = fma(a5, x, y); a6 = fma(a6, x, y); a7 = fma(a7, x, y);
    a0 = fma(a0, x, y); a1 = fma(a1, x, y); a2 = fma(a2, x, y); a3 = fma(a3, x, y);
    a4 = fma(a4, x, y); a5 = fma(a5, x, y); a6 = fma(a6, x, y); a7 = fma(a7, x, y);
  }
  out[gid.x] = a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7;
}
