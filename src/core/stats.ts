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
