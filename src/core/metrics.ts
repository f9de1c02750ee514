/** How far a float32 result is from the float64 reference, and whether that is within tolerance. */

export interface ElementReport {
  index: number;
  /** [head, row, col] for h×n×m stage tensors, [0, row, col] for matrices. */
  position: [number, number, number];
  actual: number;
  expected: number;
  tolerance: number;
  error: number;
}

export interface Comparison {
  count: number;
  maxAbs: number;
  maxRel: number;
  maxUlp: number;
  /** Elements whose error exceeds their tolerance (NaN/Inf mismatches included). */
  failures: number;
  nanMismatches: number;
  infMismatches: number;
  /** The element furthest outside (or closest to) its tolerance. */
  worst: ElementReport | null;
  /** The first element, in memory order, that is out of tolerance. */
  firstBad: ElementReport | null;
  pass: boolean;
}

const f32 = new Float32Array(1);
const i32 = new Int32Array(f32.buffer);

/** Maps float32 bit patterns onto a line where adjacent floats differ by 1 (both signs). */
function orderedBits(x: number): number {
  f32[0] = x;
  const bits = i32[0];
  return bits < 0 ? -2147483648 - bits : bits;
}

/** Distance in float32 units in the last place between a and the float32 rounding of b. */
export function ulpDistance(a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b)) return Infinity;
  if (a === b) return 0;
  return Math.abs(orderedBits(a) - orderedBits(Math.fround(b)));
}

/**
 * Compares actual (float32) against expected (float64) element by element, each within its own
 * tolerance. dims gives [heads, rows, cols] to report positions; pass a scalar tolerance to use one
 * absolute bound everywhere.
 */
export function compare(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tolerance: ArrayLike<number> | number,
  dims: [number, number, number],
): Comparison {
  if (actual.length !== expected.length) {
    throw new RangeError(`cannot compare ${actual.length} values with ${expected.length}`);
  }
  const [, rows, cols] = dims;
  const position = (idx: number): [number, number, number] => [Math.floor(idx / (rows * cols)), Math.floor(idx / cols) % rows, idx % cols];
  const report = (idx: number, tol: number, error: number): ElementReport => ({
    index: idx,
    position: position(idx),
    actual: actual[idx],
    expected: expected[idx],
    tolerance: tol,
    error,
  });
  const result: Comparison = {
    count: actual.length,
    maxAbs: 0,
    maxRel: 0,
    maxUlp: 0,
    failures: 0,
    nanMismatches: 0,
    infMismatches: 0,
    worst: null,
    firstBad: null,
    pass: true,
  };
  let worstRatio = -1;
  for (let idx = 0; idx < actual.length; idx++) {
    const a = actual[idx],
      e = expected[idx];
    const tol = typeof tolerance === 'number' ? tolerance : tolerance[idx];
    let error: number;
    if (Number.isNaN(a) || Number.isNaN(e)) {
      if (Number.isNaN(a) !== Number.isNaN(e)) result.nanMismatches++;
      error = Number.isNaN(a) && Number.isNaN(e) ? 0 : Infinity;
    } else if (!Number.isFinite(a) || !Number.isFinite(e)) {
      if (a !== e) result.infMismatches++;
      error = a === e ? 0 : Infinity;
    } else {
      error = Math.abs(a - e);
      result.maxAbs = Math.max(result.maxAbs, error);
      result.maxRel = Math.max(result.maxRel, error / Math.max(Math.abs(e), 2 ** -126));
      result.maxUlp = Math.max(result.maxUlp, ulpDistance(a, e));
    }
    const ratio = error === 0 ? 0 : error / tol;
    if (ratio > 1) {
      result.failures++;
      result.firstBad ??= report(idx, tol, error);
    }
    if (ratio > worstRatio) {
      worstRatio = ratio;
      result.worst = report(idx, tol, error);
    }
  }
  result.pass = result.failures === 0;
  return result;
}

/**
 * How much of its tolerance the comparison's worst element uses: 0 when every element matches
 * exactly, 1 at the bound, above 1 out of tolerance, Infinity for a NaN/∞ mismatch. This, not the
 * ULP count, is what a verdict shows: near zero, a value's ULP distance can be huge and harmless.
 */
export function toleranceUse(c: Comparison): number {
  if (c.nanMismatches || c.infMismatches) return Infinity;
  const w = c.worst;
  return !w || w.error === 0 ? 0 : w.error / w.tolerance;
}

/** "0.02×", "<0.01×", "3.4×", "1200×": the share of the tolerance used, two significant digits. */
export function formatToleranceUse(use: number): string {
  if (use === 0) return '0×';
  if (use < 0.01) return '<0.01×';
  if (use < 100) return `${Number(use.toPrecision(2))}×`;
  return use < 1e6 ? `${Math.round(use)}×` : `${use.toExponential(1)}×`;
}

/** A verdict badge's words for a comparison, and the absolute numbers behind them (for its title). */
export function verdictBadge(c: Comparison): { text: string; detail: string } {
  const use = toleranceUse(c);
  const mark = c.pass ? '✓' : '✗';
  const text =
    use === Infinity
      ? `${mark} NaN/∞ mismatch`
      : use === 0
        ? `${mark} exact`
        : `${mark} error ${formatToleranceUse(use)} tolerance${c.pass ? '' : ` (${c.failures} of ${c.count} out)`}`;
  const w = c.worst;
  const worst =
    w && Number.isFinite(w.error) && w.error > 0
      ? `worst element |Δ| ${w.error.toExponential(2)} against its tolerance ${w.tolerance.toExponential(2)}; `
      : '';
  const detail = `${worst}max |Δ| ${c.maxAbs.toExponential(2)}, max rel ${c.maxRel.toExponential(2)}, max ${c.maxUlp === Infinity ? '∞' : c.maxUlp} ULP over ${c.count} elements`;
  return { text, detail };
}
