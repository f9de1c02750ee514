// Subgroups for the fused kernel (src/gpu/subgroups.ts puts this block in place of the kernel's
// `@subgroups` block and `enable subgroups;` at the top of the module, where the device has the
// `subgroups` feature and lays its subgroups out as runs of consecutive lanes, which the engine
// checks once per device). The entry point passes the subgroup size to the decoding shape, whose
// merge of the 64 lanes' (M, L, o) then runs in two levels:
//   1. each subgroup in registers: M_s = subgroupMax over its lanes with L > 0, then
//      L_s = subgroupAdd(L · exp2(M_lane − M_s)) and o_s = subgroupAdd(o · exp2(M_lane − M_s));
//   2. the subgroups (64 / size of them: 2 on a 32-wide GPU) through workgroup memory, in subgroup
//      order, as the combine merges splits.
// Instead of three serial loops over 64 lanes, each level-2 loop walks 64 / size entries. The
// prefill shape is unchanged. Everything else is the kernel's own, so one kernel is written,
// verified and read. (wgsl_reflect's interpreter, which checks the kernel for races, runs subgroups
// of one invocation: src/core/verify/races.ts.)
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lane: u32, @builtin(subgroup_size) subgroup_lanes: u32) {
  let job = make_job(wid);
  if (DECODE) {
    decode(job, wid, lane, subgroup_lanes);
  } else {
    prefill(job, wid, lane);
  }
}

// Subgroup s holds lanes s·size … s·size + size − 1. Every subgroup operation here is reached by
// the whole workgroup (uniform control flow: the row, dv and the subgroup size are uniform).
fn merge(job: Job, row: u32, lane: u32, subgroup_lanes: u32, c0: u32, run_max: f32, denom: f32, o: ptr<function, array<vec4f, O_PRIVATE>>) {
  let lanes = max(subgroup_lanes, 1u);
  let slots = (WG + lanes - 1u) / lanes;
  let slot = lane / lanes;
  let lead = lane % lanes == 0u;
  let seen = denom > 0.0;
  let slot_max = subgroupMax(select(LOWEST, run_max, seen));
  var factor = 0.0;
  if (seen) { factor = exp2(run_max - slot_max); }
  let slot_denom = subgroupAdd(denom * factor);
  if (lead) { shared_mem[slot] = vec4f(slot_max, slot_denom, 0.0, 0.0); }
  workgroupBarrier();
  // Every lane merges the subgroups' (M, L) in subgroup order: the same bits in every lane.
  var merged_max = 0.0;
  var any_seen = false;
  for (var p = 0u; p < slots; p++) {
    let st = shared_mem[p];
    if (st.y > 0.0) {
      merged_max = select(max(merged_max, st.x), st.x, !any_seen);
      any_seen = true;
    }
  }
  var merged_denom = 0.0;
  for (var p = 0u; p < slots; p++) {
    let st = shared_mem[p];
    if (st.y > 0.0) { merged_denom += st.y * exp2(st.x - merged_max); }
  }
  var slot_factor = 0.0;
  if (slot_denom > 0.0) { slot_factor = exp2(slot_max - merged_max); }
  workgroupBarrier();
  // o in rounds of columns that fit workgroup memory; the loop over c4 has a constant trip count,
  // so o is indexed by constants only (it stays in registers).
  let per_round = min(DV4, SHARED / slots);
  for (var base = 0u; base < DV4; base += per_round) {
    for (var c4 = 0u; c4 < DV4; c4++) {
      if (c4 >= base && c4 < base + per_round) {
        let sum = subgroupAdd((*o)[c4] * factor);
        if (lead) { shared_mem[slot * per_round + c4 - base] = sum * slot_factor; }
      }
    }
    workgroupBarrier();
    if (row < params.n && lane < per_round && base + lane < DV4) {
      var sum = vec4f(0.0);
      for (var p = 0u; p < slots; p++) { sum += shared_mem[p * per_round + lane]; }
      let c = c0 + 4u * (base + lane);
      if (c < params.dv) { write4(job, row, c, sum, merged_denom); }
    }
    workgroupBarrier();
  }
  if (row < params.n && lane == 0u && c0 == 0u) { write_stats(job, row, merged_max, merged_denom); }
}
