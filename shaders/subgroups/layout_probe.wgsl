// Where the device puts its subgroups (src/gpu/subgroups.ts): every invocation of one 64-wide
// workgroup, the fused kernel's shape, writes its subgroup size and its index within its subgroup.
// The fused kernel's subgroup form needs subgroup s to be invocations s·size … s·size + size − 1,
// which WGSL does not promise; src/core/subgroups.ts reads the answer.
enable subgroups;

@group(0) @binding(0) var<storage, read_write> seen: array<u32>; // 2 words per invocation

@compute @workgroup_size(64)
fn main(@builtin(local_invocation_index) lane: u32, @builtin(subgroup_size) size: u32, @builtin(subgroup_invocation_id) id: u32) {
  seen[2u * lane] = size;
  seen[2u * lane + 1u] = id;
}
