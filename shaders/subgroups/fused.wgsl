// Subgroups for the fused kernel (src/gpu/subgroups.ts puts this block in place of the kernel's
// `@subgroups` block and `enable subgroups;` at the top of the module, where the device has the
// `subgroups` feature and lays its subgroups out as runs of consecutive lanes, at least 2 to a run,
// which the engine checks once per device). Three changes, the rest of the kernel is its own, so one
// kernel is written, verified and read:
//
// - The prefill shape in pairs of lanes (prefill_pairs, dk ≤ 128): lanes 2t and 2t + 1, which are
//   in one subgroup, share the workgroup's query rows 2t and 2t + 1. Each lane holds half of both
//   rows' Q (dims side·dk/2 …) and half of both rows' running output (value columns side·dv/2 …),
//   so it holds as many registers as a lane of the portable shape (one row, all columns); but each
//   key column it reads from the tile in workgroup memory now serves two rows, which halves the
//   workgroup-memory reads per multiply-add. A score is the sum of the two halves' dot products,
//   exchanged with subgroupShuffleXor(…, 1): both lanes add the same two numbers, so both hold the
//   same bits and fold the same running max and denominator.
// - The decoding shape's merge of the 64 lanes' (M, L, o), in two levels:
//   1. each subgroup in registers: M_s = subgroupMax over its lanes with L > 0, then
//      L_s = subgroupAdd(L · exp2(M_lane − M_s)) and o_s = subgroupAdd(o · exp2(M_lane − M_s));
//   2. the subgroups (64 / size of them: 2 on a 32-wide GPU) through workgroup memory, in subgroup
//      order, as the combine merges splits.
//   Instead of three serial loops over 64 lanes, each level-2 loop walks 64 / size entries.
// - The decoding shape in quads of lanes (decode_quads, dk ≤ 128, below), which replaces the
//   decoding shape and its merge where the subgroups hold whole quads: four lanes per key, each a
//   quarter of the columns.
// Pairs and quads ("shared lanes") are what 'auto' runs on a GPU; on a CPU emulator they cost more
// than they save, and the engine writes false into PAIRS and QUADS.
//
// (wgsl_reflect's interpreter, which checks the kernel for races, runs subgroups of one invocation:
// src/core/verify/races.ts. An exchange then returns the lane's own part, which changes values but
// none of the memory accesses the race check follows.)

// The prefill shape in pairs of lanes (the engine writes false here for a run without them:
// src/gpu/subgroups.ts, src/core/subgroups.ts).
const PAIRS = true;
// The decoding shape in quads of lanes (the engine writes false here for a run without them, and
// where the device's subgroups do not hold whole quads).
const QUADS = true;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lane: u32, @builtin(subgroup_size) subgroup_lanes: u32) {
  let job = make_job(wid);
  if (DECODE) {
    if (QUADS && HEAD_DK <= 4u * QUAD * QUAD_Q) {
      decode_quads(wid, lane);
    } else {
      decode(job, wid, lane, subgroup_lanes);
    }
  } else if (PAIRS && HEAD_DK <= 4u * Q_PRIVATE) {
    prefill_pairs(job, wid, lane);
  } else {
    prefill(job, wid, lane);
  }
}

const Q_HALF: u32 = Q_PRIVATE / 2u; // vec4s of each of a pair's two rows of Q one lane holds
const O_HALF: u32 = O_PRIVATE / 2u; // … and of each of their running outputs

// The 64-row shape with two lanes per pair of rows (above). Every loop that holds a barrier or an
// exchange is bounded by values uniform across the workgroup (params, the workgroup id, constants),
// so the whole workgroup reaches each subgroupShuffleXor; which keys a row sees is settled by its
// visibility mask afterwards, as in the portable shape.
fn prefill_pairs(job: Job, wid: vec3u, lane: u32) {
  let first_row = wid.x * WG;
  let rows_here = min(WG, params.n - first_row);
  let side = lane & 1u;        // which half of the columns this lane holds
  let pair = lane - side;      // the pair's first row, within the workgroup
  let row_a = first_row + pair;
  let row_b = row_a + 1u;
  let has_a = pair < rows_here;
  let has_b = pair + 1u < rows_here;
  let keys_lo = max(job.split_lo, key_start(first_row) / KEY_TILE * KEY_TILE);
  let keys_hi = min(job.split_hi, key_end(first_row + rows_here - 1u, params.m));
  let start_a = key_start(row_a);
  let end_a = min(key_end(row_a, params.m), keys_hi);
  let start_b = key_start(row_b);
  let end_b = min(key_end(row_b, params.m), keys_hi);
  let dk4 = DK4 / 2u;          // a half's vec4s of key columns (HEAD_DK is a multiple of 64)
  let dv4 = DV4 / 2u;          // … and of value columns (DV_CHUNK is 64 or 128)
  let q_a = row_a * params.heads * params.dk + job.head * params.dk;
  let q_b = q_a + params.heads * params.dk;

  var qa: array<vec4f, Q_HALF>;
  var qb: array<vec4f, Q_HALF>;
  for (var d4 = 0u; d4 < dk4; d4++) {
    let d = 4u * (side * dk4 + d4);
    if (has_a) { qa[d4] = q4(q_a + d, q_a + params.dk) * job.qscale; }
    if (has_b) { qb[d4] = q4(q_b + d, q_b + params.dk) * job.qscale; }
  }
  var oa: array<vec4f, O_HALF>;
  var ob: array<vec4f, O_HALF>;
  for (var c0 = 0u; c0 < params.dv; c0 += 4u * DV4) {
    for (var c4 = 0u; c4 < dv4; c4++) {
      oa[c4] = vec4f(0.0);
      ob[c4] = vec4f(0.0);
    }
    let start = sink_start(job, true);
    var max_a = start.x;
    var denom_a = start.y;
    var max_b = max_a;
    var denom_b = denom_a;
    for (var j0 = keys_lo; j0 < keys_hi; j0 += KEY_TILE) {
      let keys = min(KEY_TILE, keys_hi - j0);
      stage_keys(job, j0, keys, lane, KEY_TILE, 0u);
      stage_values(job, j0, keys, c0, lane, KEY_TILE, KEY_TILE * DK4);
      workgroupBarrier();
      for (var b = 0u; b < keys; b += 4u) {
        let key0 = j0 + b;
        // This lane's half of four keys' columns, each read once and used for both rows.
        let kb = b * DK4 + side * dk4;
        var acc_a = vec4f(0.0);
        var acc_b = vec4f(0.0);
        for (var d4 = 0u; d4 < dk4; d4++) {
          let k0 = shared_mem[kb + d4];
          let k1 = shared_mem[kb + DK4 + d4];
          let k2 = shared_mem[kb + 2u * DK4 + d4];
          let k3 = shared_mem[kb + 3u * DK4 + d4];
          acc_a += vec4f(dot(qa[d4], k0), dot(qa[d4], k1), dot(qa[d4], k2), dot(qa[d4], k3));
          acc_b += vec4f(dot(qb[d4], k0), dot(qb[d4], k1), dot(qb[d4], k2), dot(qb[d4], k3));
        }
        acc_a += subgroupShuffleXor(acc_a, 1u);
        acc_b += subgroupShuffleXor(acc_b, 1u);
        var vis_a = vec4<bool>(false);
        var vis_b = vec4<bool>(false);
        if (has_a) { vis_a = visible4(row_a, key0, start_a, end_a); }
        if (has_b) { vis_b = visible4(row_b, key0, start_b, end_b); }
        let seen_a = any(vis_a);
        let seen_b = any(vis_b);
        var pa = vec4f(0.0);
        var pb = vec4f(0.0);
        if (seen_a) {
          let f = fold_stats(&max_a, &denom_a, shaped4(acc_a, row_a, key0, job), vis_a);
          if (f.rescale != 1.0) {
            for (var c4 = 0u; c4 < dv4; c4++) { oa[c4] *= f.rescale; }
          }
          pa = f.p;
        }
        if (seen_b) {
          let f = fold_stats(&max_b, &denom_b, shaped4(acc_b, row_b, key0, job), vis_b);
          if (f.rescale != 1.0) {
            for (var c4 = 0u; c4 < dv4; c4++) { ob[c4] *= f.rescale; }
          }
          pb = f.p;
        }
        if (seen_a || seen_b) {
          // This lane's half of the four keys' value columns, each read once and used for both rows
          // (a row that sees none of the four adds nothing: the select keeps 0 · v out of it).
          let vb = KEY_TILE * DK4 + b * DV4 + side * dv4;
          for (var c4 = 0u; c4 < dv4; c4++) {
            let v0 = shared_mem[vb + c4];
            let v1 = shared_mem[vb + DV4 + c4];
            let v2 = shared_mem[vb + 2u * DV4 + c4];
            let v3 = shared_mem[vb + 3u * DV4 + c4];
            oa[c4] += select(vec4f(0.0), pa.x * v0 + pa.y * v1 + pa.z * v2 + pa.w * v3, seen_a);
            ob[c4] += select(vec4f(0.0), pb.x * v0 + pb.y * v1 + pb.z * v2 + pb.w * v3, seen_b);
          }
        }
      }
      workgroupBarrier();
    }
    for (var c4 = 0u; c4 < dv4; c4++) {
      let c = c0 + 4u * (side * dv4 + c4);
      if (c >= params.dv) { break; }
      if (has_a) { write4(job, row_a, c, oa[c4], denom_a); }
      if (has_b) { write4(job, row_b, c, ob[c4], denom_b); }
    }
    if (c0 == 0u && side == 0u) {
      if (has_a) { write_stats(job, row_a, max_a, denom_a); }
      if (has_b) { write_stats(job, row_b, max_b, denom_b); }
    }
  }
}

// The decoding shape's merge (above). Subgroup s holds lanes s·size … s·size + size − 1. Every
// subgroup operation here is reached by the whole workgroup (uniform control flow: the row, dv and
// the subgroup size are uniform).
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
  let merged = merged_stats(slots);
  var slot_factor = 0.0;
  if (slot_denom > 0.0) { slot_factor = exp2(slot_max - merged.x); }
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
    write_merged(job, row, lane, c0, base, per_round, slots, merged);
    workgroupBarrier();
  }
}

const QUAD: u32 = 4u;                  // lanes that share one key's columns in decode_quads
const QUADS_PER_WG: u32 = WG / QUAD;   // 16 quads in the workgroup
const QUAD_Q: u32 = Q_PRIVATE / QUAD;  // vec4s of one head's Q one lane holds (dk ≤ 128)
const QUAD_O: u32 = O_PRIVATE / QUAD;  // … and of its running output (a sweep is ≤ 128 columns)
const QUAD_HEADS_MAX: u32 = 4u;        // query heads one workgroup of decode_quads takes at most
const HEADS_VEC4S: u32 = 2u * QUAD_Q;  // vec4s of Q, and of o, a lane holds for all of them

// Query heads of one K/V group that a workgroup of decode_quads takes together, reading each key's
// K and V once for all of them (grouped-query attention). Set by the engine (src/gpu/interface.ts):
// the group's size, at most QUAD_HEADS_MAX and at most 256 columns of Q, and of o, for all of them
// (QUAD_HEADS · HEAD_DK ≤ 256 and QUAD_HEADS · DV_CHUNK ≤ 256, so a lane's quarter fits
// HEADS_VEC4S). The grid's z is then kv_heads · ⌈group / QUAD_HEADS⌉. Without grouped heads the
// engine turns this line into a const of 1 (src/gpu/subgroups.ts).
override QUAD_HEADS: u32 = 1u;

// The decoding shape in quads of lanes (dk ≤ 128). Lanes 4g … 4g + 3, which are in one subgroup,
// share the row's batches of four keys g, g + 16, g + 32, … of the split; lane t of a quad holds the
// row's Q and running output at vec4s t, t + 4, t + 8, …, so for every key the quad reads 64
// consecutive bytes at a time and each lane a quarter of the columns: dk/16 + dv/16 vec4s of
// registers and reads per key instead of dk/4 + dv/4, and all of a batch's reads are independent
// of each other and of the arithmetic, so they can be in flight together. A score is the sum of the
// quad's four partial dot products, exchanged with subgroupShuffleXor by 1, then by 2: every lane adds
// (a0 + a1) + (a2 + a3) up to the order of each addition's two operands, so all four hold the same
// bits and keep the same running max and denominator. The loop over batches is uniform across the
// workgroup (it holds the exchanges); which keys the row sees is settled by the visibility mask, as
// in the other shapes. At the end the 16 quads' (M, L, o) are merged through workgroup memory in quad
// order, as the combine merges splits.
//
// With grouped query heads the workgroup takes QUAD_HEADS query heads of one K/V head (workgroup z
// is the K/V head's ⌈group / QUAD_HEADS⌉ workgroups in turn; the last may hold fewer heads): a lane
// holds each head's Q and running output, and every vec4 of K or V it reads serves all of them. Each
// head's arithmetic is the one it has alone, in the same order, so its bits do not depend on which
// heads share its workgroup.
fn decode_quads(wid: vec3u, lane: u32) {
  let row = wid.x;
  let has_row = row < params.n;
  let t = lane % QUAD;
  let quad = lane / QUAD;
  let group = params.heads / params.kv_heads; // query heads per K/V head
  let per_kv = (group + QUAD_HEADS - 1u) / QUAD_HEADS;
  let kv_head = wid.z / per_kv;
  let first_head = kv_head * group + (wid.z % per_kv) * QUAD_HEADS;
  let heads_here = min(QUAD_HEADS, kv_head * group + group - first_head);
  let job = make_job(vec3u(wid.xy, first_head));
  let k_width = params.kv_heads * params.dk;
  let v_width = params.kv_heads * params.dv;
  let q_row = row * params.heads * params.dk;
  let row_start = max(key_start(row), job.split_lo);
  let row_end = min(key_end(row, params.m), job.split_hi);
  let first = row_start / 4u * 4u;
  let dk4 = DK4 / QUAD;        // a lane's vec4s of one head's key columns (HEAD_DK is a multiple of 64)
  let dv4 = DV4 / QUAD;        // … and of its value columns (DV_CHUNK is 64 or 128)

  // Head h's Q and o at h·dk4 + j and h·dv4 + c4 (the engine keeps both within HEADS_VEC4S); its
  // ALiBi slope, running max and denominator at component h.
  var qr: array<vec4f, HEADS_VEC4S>;
  var slope = vec4f(0.0);
  for (var h = 0u; h < QUAD_HEADS; h++) {
    if (h < heads_here) {
      let head = make_job(vec3u(wid.xy, first_head + h));
      slope[h] = head.slope;
      if (has_row) {
        let q_base = q_row + head.head * params.dk;
        for (var j = 0u; j < dk4; j++) {
          qr[min(h * dk4 + j, HEADS_VEC4S - 1u)] = q4(q_base + 4u * (t + QUAD * j), q_base + params.dk) * head.qscale;
        }
      }
    }
  }
  var o: array<vec4f, HEADS_VEC4S>;
  for (var c0 = 0u; c0 < params.dv; c0 += 4u * DV4) {
    for (var c4 = 0u; c4 < QUAD_HEADS * dv4; c4++) { o[min(c4, HEADS_VEC4S - 1u)] = vec4f(0.0); }
    var run_max = vec4f(0.0);
    var denom = vec4f(0.0);
    for (var h = 0u; h < heads_here; h++) {
      let start = sink_start(make_job(vec3u(wid.xy, first_head + h)), quad == 0u);
      run_max[h] = start.x;
      denom[h] = start.y;
    }
    if (has_row) {
      for (var step0 = first; step0 < row_end; step0 += 4u * QUADS_PER_WG) {
        let key0 = step0 + 4u * quad;
        var kb = vec4u(0u);
        var vrow = vec4u(0u);
        for (var i = 0u; i < 4u; i++) {
          let key = min(key0 + i, params.m - 1u);
          kb[i] = key * k_width + job.kv_head * params.dk;
          vrow[i] = key * v_width + job.kv_head * params.dv;
        }
        // Explicit zeros: WGSL zero-fills a loop's `var` without initializer on every iteration, but
        // Dawn on SwiftShader kept the last iteration's values (as naga did, gfx-rs/wgpu#9489).
        var acc = array<vec4f, QUAD_HEADS_MAX>();
        for (var j = 0u; j < dk4; j++) {
          let d = 4u * (t + QUAD * j);
          let k0 = k4(kb.x + d, kb.x + params.dk);
          let k1 = k4(kb.y + d, kb.y + params.dk);
          let k2 = k4(kb.z + d, kb.z + params.dk);
          let k3 = k4(kb.w + d, kb.w + params.dk);
          for (var h = 0u; h < QUAD_HEADS; h++) {
            let qv = qr[min(h * dk4 + j, HEADS_VEC4S - 1u)];
            acc[h] += vec4f(dot(qv, k0), dot(qv, k1), dot(qv, k2), dot(qv, k3));
          }
        }
        let vis = visible4(row, key0, row_start, row_end);
        let seen = any(vis);
        var p = array<vec4f, QUAD_HEADS_MAX>();
        for (var h = 0u; h < QUAD_HEADS; h++) {
          var a = acc[h];
          a += subgroupShuffleXor(a, 1u);
          a += subgroupShuffleXor(a, 2u);
          if (seen) {
            var head = job;
            head.slope = slope[h];
            var head_max = run_max[h];
            var head_denom = denom[h];
            let f = fold_stats(&head_max, &head_denom, shaped4(a, row, key0, head), vis);
            run_max[h] = head_max;
            denom[h] = head_denom;
            if (f.rescale != 1.0) {
              for (var c4 = 0u; c4 < dv4; c4++) { o[min(h * dv4 + c4, HEADS_VEC4S - 1u)] *= f.rescale; }
            }
            p[h] = f.p;
          }
        }
        // The value reads do not wait on the scores (a batch the row does not see adds nothing: the
        // select keeps 0 · v out of o).
        for (var c4 = 0u; c4 < dv4; c4++) {
          let c = c0 + 4u * (t + QUAD * c4);
          let v0 = v4(vrow.x + c, vrow.x + params.dv);
          let v1 = v4(vrow.y + c, vrow.y + params.dv);
          let v2 = v4(vrow.z + c, vrow.z + params.dv);
          let v3 = v4(vrow.w + c, vrow.w + params.dv);
          for (var h = 0u; h < QUAD_HEADS; h++) {
            let w = p[h];
            let x = w.x * v0 + w.y * v1 + w.z * v2 + w.w * v3;
            let at = min(h * dv4 + c4, HEADS_VEC4S - 1u);
            o[at] += select(vec4f(0.0), x, seen);
          }
        }
      }
    }
    // Each head's quads merged in turn (heads_here is uniform across the workgroup).
    for (var h = 0u; h < QUAD_HEADS; h++) {
      if (h < heads_here) {
        var head_o: array<vec4f, QUAD_O>;
        for (var c4 = 0u; c4 < dv4; c4++) { head_o[c4] = o[min(h * dv4 + c4, HEADS_VEC4S - 1u)]; }
        merge_quads(make_job(vec3u(wid.xy, first_head + h)), row, lane, c0, run_max[h], denom[h], &head_o);
      }
    }
  }
}

// decode_quads' merge: quad g's (M, L) at shared_mem[g]; every lane merges them in quad order
// (merged_stats: the same bits in every lane), then the quads' o, scaled to the merged max, are
// summed in quad order, in rounds of columns that fit workgroup memory. Writes the row's sweep of
// columns c0 … and, in the first sweep, its (M, L).
fn merge_quads(job: Job, row: u32, lane: u32, c0: u32, run_max: f32, denom: f32, o: ptr<function, array<vec4f, QUAD_O>>) {
  let t = lane % QUAD;
  let quad = lane / QUAD;
  if (t == 0u) { shared_mem[quad] = vec4f(run_max, denom, 0.0, 0.0); }
  workgroupBarrier();
  let merged = merged_stats(QUADS_PER_WG);
  var factor = 0.0;
  if (denom > 0.0) { factor = exp2(run_max - merged.x); }
  workgroupBarrier();
  let dv4 = DV4 / QUAD;
  let per_round = min(DV4, SHARED / QUADS_PER_WG);
  for (var base = 0u; base < DV4; base += per_round) {
    // Lane t's c4-th vec4 is column vec4 t + 4·c4 of the sweep; the loop over c4 has a constant trip
    // count, so o is indexed by constants only.
    for (var c4 = 0u; c4 < dv4; c4++) {
      let col = t + QUAD * c4;
      if (col >= base && col < base + per_round) { shared_mem[quad * per_round + col - base] = (*o)[c4] * factor; }
    }
    workgroupBarrier();
    write_merged(job, row, lane, c0, base, per_round, QUADS_PER_WG, merged);
    workgroupBarrier();
  }
}
