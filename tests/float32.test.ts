/**
 * float32ToString: the shortest decimal that reads back as the same float32, so exports show 0.2
 * and not 0.20000000298023224; and the CSV/JSON exports that use it.
 */
import { describe, expect, it } from 'vitest';
import { float32ToString, FLOAT32_MAX, isDecimalText } from '../src/core/float32';
import { parseDelimited, parseJsonMatrix, toCsv, toJson } from '../src/core/io';
import { createRng } from '../src/core/rng';
import { matrix } from '../src/core/tensor';

describe('float32ToString', () => {
  it.each<[string, number, string]>([
    ['0.2', Math.fround(0.2), '0.2'],
    ['0.1', Math.fround(0.1), '0.1'],
    ['1/3', Math.fround(1 / 3), '0.33333334'],
    ['2/3', Math.fround(2 / 3), '0.6666667'],
    ['the smallest subnormal', Math.fround(1e-45), '1e-45'],
    ['the largest float32', FLOAT32_MAX, '3.4028235e+38'],
    ['the smallest normal', 2 ** -126, '1.1754944e-38'],
    ['-0', -0, '-0'],
    ['0', 0, '0'],
    ['an integer', 100, '100'],
    ['a large integer', 16777216, '16777216'],
    ['a negative value', Math.fround(-2.5e-3), '-0.0025'],
    ['1 + ulp', 1 + 2 ** -23, '1.0000001'],
    ['Infinity', Infinity, 'Infinity'],
    ['NaN', NaN, 'NaN'],
  ])('%s → %s', (_, value, text) => {
    expect(float32ToString(value)).toBe(text);
  });

  it.each([1, 2, 3])('round-trips 2000 random float32 bit patterns, none longer than needed (seed %i)', (seed) => {
    const rng = createRng(seed);
    const bits = new Uint32Array(1);
    const f32 = new Float32Array(bits.buffer);
    for (let i = 0; i < 2000; i++) {
      bits[0] = Math.floor(rng.next() * 2 ** 32);
      const value = f32[0];
      if (!Number.isFinite(value)) continue;
      const text = float32ToString(value);
      const where = `seed ${seed}, bits 0x${bits[0].toString(16)}: ${text}`;
      expect(Object.is(Math.fround(Number(text)), value), where).toBe(true);
      // Shortest: one significant digit fewer never reads back as the same float32.
      const digits = text
        .replace(/^-/, '')
        .replace(/e.*$/, '')
        .replace('.', '')
        .replace(/^0+|0+$/g, '').length;
      if (digits > 1) expect(Math.fround(Number(value.toPrecision(digits - 1))) === value, where).toBe(false);
    }
  });
});

describe('exports', () => {
  const m = matrix(2, 2, [0.2, 1 / 3, -0, 1e-45]);

  it('CSV writes the shortest float32 decimals, which read back as the same float32s', () => {
    expect(toCsv(m)).toBe('0.2,0.33333334\n-0,1e-45\n');
    expect(Array.from(parseDelimited(toCsv(m)).data)).toEqual([0.2, 0.33333334, -0, 1e-45]);
    expect(Array.from(parseDelimited(toCsv(m)).data, Math.fround)).toEqual(Array.from(m.data));
  });

  it('JSON writes the shortest float32 decimals (non-finite as null), which read back as the same float32s', () => {
    expect(toJson(m)).toBe('[[0.2,0.33333334],[-0,1e-45]]');
    expect(Array.from(parseJsonMatrix(toJson(m)).data, Math.fround)).toEqual(Array.from(m.data));
    expect(toJson({ rows: 1, cols: 2, data: Float32Array.from([-Infinity, 1]) })).toBe('[[null,1]]');
  });

  it('float64 tensors (the reference) keep every float64 digit', () => {
    expect(toJson({ rows: 1, cols: 1, data: Float64Array.from([0.1 + 0.2]) })).toBe('[[0.30000000000000004]]');
  });
});

describe('isDecimalText', () => {
  it.each(['1', '-1', '+1.5', '.5', '5.', '1e3', '1E-3', '0.000'])('accepts %j', (text) => expect(isDecimalText(text)).toBe(true));
  it.each(['', ' ', '0x10', '0b101', '0o17', 'Infinity', 'NaN', '1_0', '1e', 'e3', '.', '--1', '1,5'])('refuses %j', (text) =>
    expect(isDecimalText(text)).toBe(false),
  );
});
