/**
 * Where the numbers of the features' own maps come from (./features.ts): a rotated query or key
 * element (RoPE), a softcapped score, an ALiBi bias. The same style as ./provenance.ts.
 */
import { resolveAlibiSlopes, ropeDims, ropeFrequencies, ropePair, softcapped } from './features';
import { causalShift, resolveScale } from './options';
import type { Explained, ProvenanceContext } from './provenance';
import { exact, short } from './provenance';
import { ropePositions } from './reference';

function pair(ctx: ProvenanceContext, i: number, j: number): string {
  return `${ctx.problem.queryLabels[i]} → ${ctx.problem.keyLabels[j]}`;
}

function headNote(ctx: ProvenanceContext, head: number): string {
  return ctx.problem.shape.heads > 1 ? ` (head ${head})` : '';
}

/** The row's position RoPE uses: query i at offset + i + (m − n) (of the whole problem, for a sample), key j at offset + j. */
export function ropePosition(ctx: ProvenanceContext, which: 'q' | 'k', row: number): number {
  const rope = ctx.problem.options.rope;
  if (!rope) return row;
  const { n, m } = ctx.problem.shape;
  const sample = ctx.problem.sample;
  const positions = ropePositions(rope, causalShift(sample?.n ?? n, m));
  return which === 'q' ? positions.query(sample?.rows[row] ?? row) : positions.key(row);
}

/**
 * One element of the rotated Q or K: element `d` of head `head` (a K/V head for K) of row `row`.
 * Its pair (a, b) turns by φ = position · θ_p; dimensions past the rotated r pass through.
 */
export function explainRotated(ctx: ProvenanceContext, which: 'q' | 'k', head: number, row: number, d: number): Explained {
  const rope = ctx.problem.options.rope;
  const rotated = ctx.reference.rotated;
  const input = which === 'q' ? ctx.problem.inputs.q : ctx.problem.inputs.k;
  const { dk } = ctx.problem.shape;
  const label = which === 'q' ? ctx.problem.queryLabels[row] : ctx.problem.keyLabels[row];
  const title = `${which === 'q' ? 'query' : 'key'} ${label}, dimension ${d}${ctx.problem.shape.heads > 1 ? ` (${which === 'q' ? 'head' : 'K/V head'} ${head})` : ''}`;
  const at = (c: number) => row * input.cols + head * dk + c;
  if (!rope || !rotated) return { title, lines: ['RoPE is off'] };
  const after = (which === 'q' ? rotated.q : rotated.k).data[at(d)];
  const r = ropeDims(rope, dk);
  if (d >= r) return { title, lines: [`past the ${r} rotated dimensions: passes through`, `= ${exact(after)}`] };
  const p = rope.layout === 'interleaved' ? Math.floor(d / 2) : d % (r / 2);
  const [a, b] = ropePair(rope.layout, p, r);
  const position = ropePosition(ctx, which, row);
  const theta = ropeFrequencies(Math.fround(rope.base), r)[p];
  const angle = position * theta;
  const xa = input.data[at(a)],
    xb = input.data[at(b)];
  return {
    title,
    lines: [
      `pair (${a}, ${b}) turns by φ = position × θ_${p} = ${position} × ${short(theta)} = ${short(angle)} rad`,
      `θ_${p} = base^(−2·${p}/${r}) = ${short(rope.base)}^(−${short((2 * p) / r)})`,
      d === a
        ? `x_${a} cos φ − x_${b} sin φ = ${short(xa)}·${short(Math.cos(angle))} − ${short(xb)}·${short(Math.sin(angle))}`
        : `x_${a} sin φ + x_${b} cos φ = ${short(xa)}·${short(Math.sin(angle))} + ${short(xb)}·${short(Math.cos(angle))}`,
      `before: ${exact(input.data[at(d)])}   after: ${exact(after)}`,
    ],
  };
}

export function explainCapped(ctx: ProvenanceContext, head: number, i: number, j: number): Explained {
  const { n, m } = ctx.problem.shape;
  const idx = (head * n + i) * m + j;
  const c = Math.fround(ctx.problem.options.softcap ?? NaN);
  const scaled = ctx.reference.scaled.data[idx];
  const value = ctx.reference.capped?.data[idx] ?? softcapped(scaled, c);
  return {
    title: `softcapped score ${pair(ctx, i, j)}${headNote(ctx, head)}`,
    lines: [
      `c · tanh(s / c), c = ${short(c)}: every score lands in (−${short(c)}, ${short(c)})`,
      `= ${short(c)} · tanh(${short(scaled)} / ${short(c)})`,
      Math.abs(scaled) < c / 4 ? 'a small score passes almost unchanged' : `a large score is flattened (by ${short(scaled - value)})`,
      `= ${exact(value)}`,
    ],
  };
}

export function explainBias(ctx: ProvenanceContext, head: number, i: number, j: number): Explained {
  const { n, m, dk } = ctx.problem.shape;
  const idx = (head * n + i) * m + j;
  const value = ctx.reference.bias?.data[idx] ?? 0;
  const row = ctx.problem.sample?.rows[i] ?? i;
  const distance = row + causalShift(ctx.problem.sample?.n ?? n, m) - j;
  const slope = resolveAlibiSlopes(ctx.problem.options)?.[head] ?? 0;
  return {
    title: `ALiBi bias ${pair(ctx, i, j)}${headNote(ctx, head)}`,
    lines: [
      `−slope × distance, distance = query position − key position = ${distance}`,
      `slope of this head = ${short(slope)}${distance === 0 ? ' (distance 0: no bias)' : ''}`,
      `added to the ${ctx.reference.capped ? 'softcapped' : 'scaled'} score (scale ${short(resolveScale(ctx.problem.options.scale, dk))})`,
      `= ${exact(value)}`,
    ],
  };
}
