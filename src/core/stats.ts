/**
 * Statistics for benchmark samples: quantiles, a summary over repeats, a power-law fit in log-log
 * space and the granularity of a set of timestamps. Pure functions, no GPU.
 */

/**
 * The q-quantile (0 ≤ q ≤ 1) by linear interpolation between order statistics (Hyndman & Fan
 * type 7, what NumPy and R use by default). NaN for an empty sample.
 */
export function quantile(samples: readonly number[], q: number): number {
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile must be in [0, 1], got ${q}`);
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const position = (sorted.length - 1) * q;
  const below = Math.floor(position);
  const above = Math.min(below + 1, sorted.length - 1);
  return sorted[below] + (sorted[above] - sorted[below]) * (position - below);
}

export function median(samples: readonly number[]): number {
  return quantile(samples, 0.5);
}

/** Median and spread of repeated measurements. */
export interface Summary {
  median: number;
  p10: number;
  p90: number;
  min: number;
  max: number;
  /** The measurements, in the order they were taken. */
  samples: number[];
}

export function summarize(samples: readonly number[]): Summary {
  return {
    median: median(samples),
    p10: quantile(samples, 0.1),
    p90: quantile(samples, 0.9),
    min: samples.length ? Math.min(...samples) : NaN,
    max: samples.length ? Math.max(...samples) : NaN,
    samples: [...samples],
  };
}

/** y ≈ prefactor · x^exponent, fitted by least squares on (log x, log y). */
export interface PowerLawFit {
  exponent: number;
  prefactor: number;
  /** Coefficient of determination of the straight line in log-log space (1 for an exact fit). */
  r2: number;
  /** Number of points used. */
  points: number;
  /** Smallest and largest x used. */
  xRange: [number, number];
}

/**
 * Least-squares line through (ln x, ln y). Points with non-positive or non-finite coordinates are
 * dropped (a logarithm of them is not a time); null when fewer than two distinct x remain.
 */
export function fitPowerLaw(xs: readonly number[], ys: readonly number[]): PowerLawFit | null {
  if (xs.length !== ys.length) throw new RangeError(`fitPowerLaw: ${xs.length} x values but ${ys.length} y values`);
  const points: [number, number][] = [];
  const kept: number[] = [];
  xs.forEach((x, i) => {
    const y = ys[i];
    if (x > 0 && y > 0 && Number.isFinite(x) && Number.isFinite(y)) {
      points.push([Math.log(x), Math.log(y)]);
      kept.push(x);
    }
  });
  if (new Set(points.map(([lx]) => lx)).size < 2) return null;
  const count = points.length;
  const meanX = points.reduce((s, [lx]) => s + lx, 0) / count;
  const meanY = points.reduce((s, [, ly]) => s + ly, 0) / count;
  let sxx = 0,
    sxy = 0,
    syy = 0;
  for (const [lx, ly] of points) {
    sxx += (lx - meanX) ** 2;
    sxy += (lx - meanX) * (ly - meanY);
    syy += (ly - meanY) ** 2;
  }
  const exponent = sxy / sxx;
  const intercept = meanY - exponent * meanX;
  const residual = points.reduce((s, [lx, ly]) => s + (ly - intercept - exponent * lx) ** 2, 0);
  return {
    exponent,
    prefactor: Math.exp(intercept),
    r2: syy === 0 ? 1 : 1 - residual / syy,
    points: count,
    xRange: [Math.min(...kept), Math.max(...kept)],
  };
}

/**
 * The x values a fit over "the upper part of the sweep" uses: those ≥ fromX when given, else the
 * upper half of the distinct values (at least two when there are two).
 */
export function upperPart(xs: readonly number[], fromX?: number): number[] {
  const distinct = [...new Set(xs)].sort((a, b) => a - b);
  if (fromX !== undefined) return distinct.filter((x) => x >= fromX);
  const start = Math.min(Math.floor(distinct.length / 2), Math.max(0, distinct.length - 2));
  return distinct.slice(start);
}

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a < 0n ? -a : a;
}

/** How finely a set of raw timestamps resolves time. */
export interface TimestampGranularity {
  /** Greatest common divisor of every stamp's offset from the first, in ns (1 = no visible quantization). */
  quantumNs: number;
  /** Smallest non-zero difference between two distinct stamps, in ns (null with fewer than two distinct). */
  smallestStepNs: number | null;
  /** Stamps inspected. */
  count: number;
}

/**
 * Inspects raw timestamps (ns, as the GPU wrote them): a browser that quantizes them to, say,
 * 100 µs leaves every difference a multiple of 100 000, so the common divisor reveals the quantum.
 */
export function timestampGranularity(stamps: readonly bigint[]): TimestampGranularity {
  if (stamps.length === 0) return { quantumNs: NaN, smallestStepNs: null, count: 0 };
  const sorted = [...new Set(stamps)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  let divisor = 0n;
  let smallest: bigint | null = null;
  for (let i = 1; i < sorted.length; i++) {
    divisor = gcd(divisor, sorted[i] - sorted[0]);
    const step = sorted[i] - sorted[i - 1];
    if (smallest === null || step < smallest) smallest = step;
  }
  return { quantumNs: Number(divisor), smallestStepNs: smallest === null ? null : Number(smallest), count: stamps.length };
}

/**
 * Per-round ratios baseline[r] / variant[r] (> 1: the variant is faster) of two series measured
 * round-robin, summarized. The r-th samples of both ran close in time, so each ratio sees the same
 * machine load; their median is steadier than the ratio of the two medians. Rounds where either
 * time is not positive and finite are dropped; the shorter series sets the rounds (a cancelled sweep).
 */
export function pairedRatios(baseline: readonly number[], variant: readonly number[]): Summary {
  const ratios: number[] = [];
  for (let r = 0; r < Math.min(baseline.length, variant.length); r++) {
    const a = baseline[r],
      b = variant[r];
    if (a > 0 && b > 0 && Number.isFinite(a) && Number.isFinite(b)) ratios.push(a / b);
  }
  return summarize(ratios);
}

/** y ≈ a + b·x^p: a fixed cost plus a power law. */
export interface OffsetPowerLawFit {
  /** The fixed part (≥ 0), in y's unit. */
  a: number;
  b: number;
  p: number;
  /** Root mean square of the relative residuals (ŷ − y) / y. */
  rmsRelative: number;
  points: number;
  xRange: [number, number];
  /** p landed on pMin or pMax: the data do not determine it within the range. */
  atBound: boolean;
}

/** Weighted least squares of y on [1, x^p] for a fixed p, with a ≥ 0 and b ≥ 0; returns a, b and the weighted residual. */
function linearPart(xs: readonly number[], ys: readonly number[], p: number): { a: number; b: number; rss: number } {
  // Weights 1/y² make every residual relative: times spanning decades count alike.
  let sw = 0,
    su = 0,
    suu = 0,
    sy = 0,
    suy = 0;
  const us = xs.map((x) => x ** p);
  ys.forEach((y, i) => {
    const w = 1 / (y * y),
      u = us[i];
    sw += w;
    su += w * u;
    suu += w * u * u;
    sy += w * y;
    suy += w * u * y;
  });
  const det = sw * suu - su * su;
  let a = det > 0 ? (suu * sy - su * suy) / det : 0;
  let b = det > 0 ? (sw * suy - su * sy) / det : 0;
  if (a < 0 || !(det > 0)) {
    a = 0;
    b = suy / suu;
  }
  if (b < 0) {
    b = 0;
    a = sy / sw;
  }
  const rss = ys.reduce((s, y, i) => s + ((a + b * us[i] - y) / y) ** 2, 0);
  return { a, b, rss };
}

/**
 * Fits y = a + b·x^p (a, b ≥ 0) by least squares on relative residuals: a grid over p in
 * [pMin, pMax] with a and b solved exactly for each p, then a golden-section refinement around the
 * best grid point. Points with non-positive or non-finite coordinates are dropped; null with fewer
 * than three distinct x (three parameters).
 */
export function fitOffsetPowerLaw(xs: readonly number[], ys: readonly number[], { pMin = 0.1, pMax = 4 } = {}): OffsetPowerLawFit | null {
  if (xs.length !== ys.length) throw new RangeError(`fitOffsetPowerLaw: ${xs.length} x values but ${ys.length} y values`);
  const keep = xs.map((x, i) => [x, ys[i]]).filter(([x, y]) => x > 0 && y > 0 && Number.isFinite(x) && Number.isFinite(y));
  if (new Set(keep.map(([x]) => x)).size < 3) return null;
  // x scaled to its largest value, so x^p stays well inside float range for any p.
  const xMax = Math.max(...keep.map(([x]) => x));
  const u = keep.map(([x]) => x / xMax),
    y = keep.map(([, v]) => v);
  const cost = (p: number) => linearPart(u, y, p).rss;
  const step = 0.01;
  let best = pMin,
    bestCost = cost(pMin);
  for (let p = pMin; p <= pMax + 1e-9; p += step) {
    const c = cost(p);
    if (c < bestCost) [best, bestCost] = [p, c];
  }
  // Golden section on [best − step, best + step].
  let lo = Math.max(pMin, best - step),
    hi = Math.min(pMax, best + step);
  const g = (Math.sqrt(5) - 1) / 2;
  for (let i = 0; i < 40; i++) {
    const c = hi - g * (hi - lo),
      d = lo + g * (hi - lo);
    if (cost(c) < cost(d)) hi = d;
    else lo = c;
  }
  const p = (lo + hi) / 2;
  const { a, b, rss } = linearPart(u, y, p);
  return {
    a,
    b: b / xMax ** p,
    p,
    rmsRelative: Math.sqrt(rss / keep.length),
    atBound: p - pMin < 1e-3 || pMax - p < 1e-3,
    points: keep.length,
    xRange: [Math.min(...keep.map(([x]) => x)), xMax],
  };
}

/** The fixed part's share of the fitted time at x: a / (a + b·x^p). */
export function overheadShare(fit: Pick<OffsetPowerLawFit, 'a' | 'b' | 'p'>, x: number): number {
  const total = fit.a + fit.b * x ** fit.p;
  return total > 0 ? fit.a / total : 0;
}

export interface LocalSlope {
  from: number;
  to: number;
  /** d log y / d log x between the two points. */
  slope: number;
}

/** The slope of log y against log x between each pair of consecutive distinct x (sorted); bad points dropped. */
export function localSlopes(xs: readonly number[], ys: readonly number[]): LocalSlope[] {
  const points = xs
    .map((x, i) => [x, ys[i]] as const)
    .filter(([x, y]) => x > 0 && y > 0 && Number.isFinite(x) && Number.isFinite(y))
    .sort((p, q) => p[0] - q[0]);
  const slopes: LocalSlope[] = [];
  for (let i = 1; i < points.length; i++) {
    const [x0, y0] = points[i - 1],
      [x1, y1] = points[i];
    if (x1 > x0) slopes.push({ from: x0, to: x1, slope: Math.log(y1 / y0) / Math.log(x1 / x0) });
  }
  return slopes;
}
