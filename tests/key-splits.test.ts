/**
 * The split-KV choice (src/core/key-splits.ts): how many key splits the fused stage uses, from the
 * whole problem only.
 */
import { describe, expect, it } from 'vitest';
import type { KeySplitProblem } from '../src/core/key-splits';
import { describeFusedForm } from '../src/core/subgroups';
import type { ProfileRow } from '../src/core/profile-report';
import { emptyKeySplitNotes, emptyKeySplits, splitsCell } from '../src/core/profile-report';
import {
  chooseKeySplits,
  forcedKeySplits,
  keySplitsHoldingKeys,
  MAX_FORCED_KEY_SPLITS,
  MAX_KEY_SPLITS,
  MIN_SPLIT_KEYS,
  PREFILL_TARGET_WORKGROUPS,
  SOFTWARE_TARGET_WORKGROUPS,
  SPLIT_ALIGN,
  TARGET_WORKGROUPS,
  visibleKeys,
} from '../src/core/key-splits';

const problem = (p: Partial<KeySplitProblem>): KeySplitProblem => ({ n: 1, m: 1, heads: 1, rowsPerWorkgroup: 64, causal: false, ...p });

describe('chooseKeySplits', () => {
  it.each([
    { name: 'decode n=1 m=32768 h=8', p: { n: 1, m: 32768, heads: 8, rowsPerWorkgroup: 1, causal: true } },
    { name: 'decode n=1 m=4096 h=1', p: { n: 1, m: 4096, heads: 1, rowsPerWorkgroup: 1 } },
    { name: 'prefill n=512 m=8192 h=2', p: { n: 512, m: 8192, heads: 2 } },
    { name: 'n=4 m=100000 h=1', p: { n: 4, m: 100000, heads: 1, rowsPerWorkgroup: 1 } },
  ])('$name: splits into multiples of 64 of at least MIN_SPLIT_KEYS keys, toward the target grid', ({ p }) => {
    const s = chooseKeySplits(problem(p));
    expect(s.keySplits).toBeGreaterThan(1);
    expect(s.keySplits).toBeLessThanOrEqual(MAX_KEY_SPLITS);
    expect(s.splitKeys % SPLIT_ALIGN).toBe(0);
    expect(s.splitKeys).toBeGreaterThanOrEqual(MIN_SPLIT_KEYS);
    // Every split sees a key, and together they cover m.
    expect((s.keySplits - 1) * s.splitKeys).toBeLessThan(p.m);
    expect(s.keySplits * s.splitKeys).toBeGreaterThanOrEqual(p.m);
    const rows = p.rowsPerWorkgroup ?? 64;
    const groups = Math.ceil(p.n / rows) * p.heads;
    // No more splits than reaching the shape's target needs (one more for rounding up to 64 keys).
    expect(groups * (s.keySplits - 1)).toBeLessThan(rows > 1 ? PREFILL_TARGET_WORKGROUPS : TARGET_WORKGROUPS);
  });

  it('on a CPU emulator never splits: one workgroup is the target, for decode with one head as with eight', () => {
    const decode = { n: 1, m: 32768, rowsPerWorkgroup: 1, causal: true, targetWorkgroups: SOFTWARE_TARGET_WORKGROUPS };
    expect(chooseKeySplits(problem({ ...decode, heads: 8 })).keySplits).toBe(1);
    expect(chooseKeySplits(problem({ ...decode, heads: 1 })).keySplits).toBe(1);
    expect(chooseKeySplits(problem({ n: 64, m: 8192, heads: 1, targetWorkgroups: SOFTWARE_TARGET_WORKGROUPS })).keySplits).toBe(1);
    // The GPU's target splits the same one-head decode.
    expect(chooseKeySplits(problem({ ...decode, heads: 1, targetWorkgroups: undefined })).keySplits).toBeGreaterThan(1);
  });

  it('the prefill aims for more workgroups than decoding (as measured on an H200): 2 splits at N = 4096 with 8 heads, none at 8192', () => {
    expect(PREFILL_TARGET_WORKGROUPS).toBeGreaterThan(TARGET_WORKGROUPS);
    expect(chooseKeySplits(problem({ n: 4096, m: 4096, heads: 8 }))).toEqual({ keySplits: 2, splitKeys: 2048 });
    expect(chooseKeySplits(problem({ n: 8192, m: 8192, heads: 8 })).keySplits).toBe(1);
    // A target given wins over the shape's.
    expect(chooseKeySplits(problem({ n: 4096, m: 4096, heads: 8, targetWorkgroups: TARGET_WORKGROUPS })).keySplits).toBe(1);
  });

  it('decode at m = 32768 with 8 heads fills hundreds of workgroups', () => {
    const s = chooseKeySplits(problem({ n: 1, m: 32768, heads: 8, rowsPerWorkgroup: 1, causal: true }));
    expect(s).toEqual({ keySplits: 64, splitKeys: 512 });
    expect(8 * s.keySplits).toBe(TARGET_WORKGROUPS);
  });

  it.each([
    { name: 'a grid that already has the target', p: { n: 64 * PREFILL_TARGET_WORKGROUPS, m: 4096, heads: 1 } },
    { name: 'too few keys for two splits of MIN_SPLIT_KEYS', p: { n: 1, m: 2 * MIN_SPLIT_KEYS - 1, heads: 1, rowsPerWorkgroup: 1 } },
    { name: 'a small window', p: { n: 1, m: 32768, heads: 1, rowsPerWorkgroup: 1, causal: true, window: 300 } },
    { name: 'small problems', p: { n: 20, m: 33, heads: 2 } },
  ])('one split for $name', ({ p }) => {
    expect(chooseKeySplits(problem(p)).keySplits).toBe(1);
  });

  it('sizes splits by the keys a window shows, over all m keys', () => {
    const s = chooseKeySplits(problem({ n: 1, m: 32768, heads: 1, rowsPerWorkgroup: 1, causal: true, window: 4096 }));
    expect(s.splitKeys).toBe(MIN_SPLIT_KEYS);
    expect(s.keySplits).toBe(32768 / MIN_SPLIT_KEYS);
  });

  it('caps the split count at MAX_KEY_SPLITS', () => {
    const s = chooseKeySplits(problem({ n: 1, m: 1 << 20, heads: 1, rowsPerWorkgroup: 1, window: 1 << 19 }));
    expect(s.keySplits).toBeLessThanOrEqual(MAX_KEY_SPLITS);
    expect(s.keySplits * s.splitKeys).toBeGreaterThanOrEqual(1 << 20);
  });

  it('depends on the whole problem only: the same for any block or range of its rows', () => {
    // The engine passes the whole problem's n; nothing else about the rows enters.
    const whole = problem({ n: 3, m: 10000, heads: 4, rowsPerWorkgroup: 1 });
    expect(chooseKeySplits(whole)).toEqual(chooseKeySplits({ ...whole }));
  });
});

describe('visibleKeys', () => {
  it.each([
    { p: { m: 100, causal: false }, keys: 100 },
    { p: { m: 100, causal: true, window: 10 }, keys: 10 },
    { p: { m: 100, causal: false, window: 10 }, keys: 19 },
    { p: { m: 100, causal: false, window: 1000 }, keys: 100 },
  ])('$p → $keys', ({ p, keys }) => {
    expect(visibleKeys(p)).toBe(keys);
  });
});

describe('forcedKeySplits', () => {
  it.each([
    { m: 100, count: 1, expected: { keySplits: 1, splitKeys: 128 } },
    { m: 150, count: 2, expected: { keySplits: 2, splitKeys: 128 } },
    { m: 200, count: 3, expected: { keySplits: 3, splitKeys: 128 } },
    // More splits than 64-key multiples fill: the last ones see no key.
    { m: 130, count: 7, expected: { keySplits: 7, splitKeys: 64 } },
  ])('m=$m, $count splits', ({ m, count, expected }) => {
    expect(forcedKeySplits(m, count)).toEqual(expected);
  });

  it('refuses a count that is not a positive integer', () => {
    expect(() => forcedKeySplits(100, 0)).toThrow(RangeError);
    expect(() => forcedKeySplits(100, 1.5)).toThrow(RangeError);
  });

  it('refuses a count past MAX_FORCED_KEY_SPLITS, naming the bound, and takes the bound itself', () => {
    expect(() => forcedKeySplits(100, MAX_FORCED_KEY_SPLITS + 1)).toThrow(
      new RangeError(`keySplits must be an integer from 1 to ${MAX_FORCED_KEY_SPLITS}, got ${MAX_FORCED_KEY_SPLITS + 1}`),
    );
    expect(forcedKeySplits(100, MAX_FORCED_KEY_SPLITS).keySplits).toBe(MAX_FORCED_KEY_SPLITS);
  });
});

describe('splits that hold keys', () => {
  // A split holds at least SPLIT_ALIGN keys, so a forced count past ⌈m / SPLIT_ALIGN⌉ leaves the rest empty.
  it.each([
    { m: 5, count: 99, holding: 1 },
    { m: 150, count: 3, holding: 3 },
    { m: 150, count: 4, holding: 3 },
    { m: 2 * SPLIT_ALIGN + 1, count: 8, holding: 3 },
    { m: 4096, count: 8, holding: 8 },
  ])('m = $m, $count forced: $holding hold keys', ({ m, count, holding }) => {
    const splits = forcedKeySplits(m, count);
    expect(keySplitsHoldingKeys(m, splits)).toBe(holding);
    // The splits holding keys cover every key, and one fewer would not.
    expect(holding * splits.splitKeys).toBeGreaterThanOrEqual(m);
    expect((holding - 1) * splits.splitKeys).toBeLessThan(m);
    const line = describeFusedForm({
      keySplits: count,
      splitKeys: splits.splitKeys,
      shape: { m },
      subgroups: false,
      subgroupLanes: null,
      subgroupsReason: 'why',
    });
    const empty = count - holding;
    if (empty === 0) expect(line).toBe(`fused kernel: ${count} key splits, no subgroups (why)`);
    else
      expect(line).toContain(
        `${count} key splits (only ${holding} ${holding === 1 ? 'holds' : 'hold'} keys, ${splits.splitKeys} a split of m = ${m}: the other ${empty} ${empty === 1 ? 'is' : 'are'} empty)`,
      );
  });
});

describe("the Profiler's rows of forced key splits say how many are empty", () => {
  const fusedRow = (variant: string, n: number, m: number, count: number, decode = false) =>
    ({ variant, n, m, decode, error: null, keySplits: count, splitKeys: forcedKeySplits(m, count).splitKeys }) as unknown as ProfileRow;

  it.each([
    { m: 5, count: 99, empty: 98 },
    { m: 150, count: 4, empty: 1 },
    { m: 4096, count: 8, empty: 0 },
  ])('m = $m, $count forced: $empty empty', ({ m, count, empty }) => {
    const r = fusedRow(`fused-${count}splits`, 1, m, count, true);
    expect(emptyKeySplits(r)).toBe(empty);
    expect(splitsCell(r)).toBe(empty ? `${count} (${empty} empty)` : count);
  });

  it('notes, per variant, the points whose splits are partly empty; none for rows without splitKeys (older results)', () => {
    const rows = [
      fusedRow('fused-4splits', 16, 16, 4),
      fusedRow('fused-4splits', 1024, 1024, 4),
      fusedRow('fused-4splits', 1, 150, 4, true),
      fusedRow('fused', 16, 16, 1),
      { ...fusedRow('fused-8splits', 16, 16, 8), splitKeys: undefined },
    ];
    expect(emptyKeySplitNotes(rows)).toEqual([
      `fused-4splits: key splits that hold no key (a split holds at least ${SPLIT_ALIGN} keys, so m keys fill only ⌈m / keys per split⌉ of them): 3 of 4 empty at N = 16, 1 of 4 empty at m = 150.`,
    ]);
    expect(splitsCell(rows[4])).toBe(8);
  });
});
