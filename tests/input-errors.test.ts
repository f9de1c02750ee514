/**
 * Every malformed matrix file the readers meet gets an InputError that names the problem (issue
 * 14's generated inputs, one row each), and valid edge cases still read.
 */
import { describe, expect, it } from 'vitest';
import { dump } from 'npyjs';
import { InputError } from '../src/core/errors';
import { parseDelimited, parseJsonMatrix, parseNpy } from '../src/core/io';
import { MAX_CELLS, MAX_ROWS } from '../src/core/limits';
import { float32Matrix } from '../src/core/tensor';

/** A .npy file written byte by byte: version, header dictionary, data (padded as numpy pads it). */
function npy(header: string, data: ArrayBufferView | ArrayBuffer = new Float32Array(0), version: [number, number] = [1, 0]): ArrayBuffer {
  const wide = version[0] >= 2;
  const start = wide ? 12 : 10;
  const padded = header + ' '.repeat((64 - ((start + header.length + 1) % 64)) % 64) + '\n';
  const out = new Uint8Array(start + padded.length + (data as ArrayBufferView).byteLength);
  out.set([0x93, ...Array.from('NUMPY', (c) => c.charCodeAt(0)), version[0], version[1]]);
  const view = new DataView(out.buffer);
  if (wide) view.setUint32(8, padded.length, true);
  else view.setUint16(8, padded.length, true);
  out.set(
    Array.from(padded, (c) => c.charCodeAt(0)),
    start,
  );
  const bytes = ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data);
  out.set(bytes, start + padded.length);
  return out.buffer;
}

const dict = (shape: string, descr = '<f4', fortran = 'False') => `{'descr': '${descr}', 'fortran_order': ${fortran}, 'shape': ${shape}, }`;
const f32 = (count: number) => Float32Array.from({ length: count }, (_, i) => i + 0.5);

describe('.npy files the reader refuses', () => {
  it.each([
    ['format version 4.0', () => npy(dict('(3, 3)'), f32(9), [4, 0]), /format version 4\.0 is not one this page reads/],
    ['format version 1.5', () => npy(dict('(3, 3)'), f32(9), [1, 5]), /format version 1\.5/],
    ['format version 0.0', () => npy(dict('(3, 3)'), f32(9), [0, 0]), /format version 0\.0/],
    ['fortran_order 1', () => npy(dict('(3, 3)', '<f4', '1'), f32(9)), /fortran_order is 1, not True or False/],
    ['fortran_order "yes"', () => npy(dict('(3, 3)', '<f4', "'yes'"), f32(9)), /fortran_order is 'yes', not True or False/],
    ['more data than the shape', () => npy(dict('(3, 3)'), f32(12)), /file has 12 values, shape \(3, 3\) needs 9/],
    ['fewer data than the shape', () => npy(dict('(3, 3)'), f32(4)), /expected 9 values for shape \(3, 3\), file has 4/],
    ['data cut inside a value', () => npy(dict('(1, 2)'), new Uint8Array(6)), /data is 6 bytes, not a whole number of 4-byte values/],
    ['a negative shape', () => npy(dict('(-2, 3)'), f32(6)), /dimension "-2" that is not a whole number ≥ 0/],
    ['a fractional shape', () => npy(dict('(1.5, 2)'), f32(3)), /dimension "1\.5" that is not a whole number ≥ 0/],
    ['a non-numeric shape', () => npy(dict("('a', 2)"), f32(2)), /dimension "'a'" that is not a whole number ≥ 0/],
    ['a huge shape', () => npy(dict('(99999999999999999999, 2)'), f32(2)), /dimension "99999999999999999999" that is too large/],
    [
      'more rows than the page holds',
      () => npy(dict(`(${MAX_ROWS + 1}, 3)`)),
      new RegExp(`has ${MAX_ROWS + 1} rows; the page holds at most ${MAX_ROWS}`),
    ],
    ['more cells than the page holds', () => npy(dict('(8192, 8192)')), new RegExp(`the page holds at most ${MAX_CELLS} per matrix`)],
    ['a 2**40-value shape (refused before allocating)', () => npy(dict('(1048576, 1048576)')), /rows; the page holds at most/],
    ['a 0×3 shape', () => npy(dict('(0, 3)')), /shape \(0, 3\) holds no values \(0×3\)/],
    ['a 3×0 shape', () => npy(dict('(3, 0)')), /shape \(3, 0\) holds no values \(3×0\)/],
    ['a 3-D shape', () => dump(new Float32Array(8), [2, 2, 2]), /expected a 2-D array, got shape \(2, 2, 2\)/],
    ['a scalar', () => npy(dict('()'), f32(1)), /expected a 2-D array, got shape \(\)/],
    ['big-endian floats', () => npy(dict('(1, 2)', '>f4'), f32(2)), /dtype '>f4' is not a little-endian real number type \(big-endian/],
    ['strings', () => npy(dict('(1, 2)', '<U3'), new Uint8Array(24)), /dtype '<U3' is not a little-endian real number type/],
    ['a header without a shape', () => npy("{'descr': '<f4', 'fortran_order': False, }"), /must give 'descr', 'fortran_order' and 'shape'/],
    ['a header that is not a dictionary', () => npy("'descr': '<f4'"), /header is not a dictionary/],
    ['a header longer than the file', () => npy(dict('(1, 1)'), f32(1)).slice(0, 40), /header says \d+ bytes; the file ends before that/],
    ['a file cut in its preamble', () => npy(dict('(1, 1)'), f32(1)).slice(0, 8), /cut off in its preamble/],
    ['not an .npy file at all', () => new Uint8Array([1, 2, 3, 4]).buffer, /does not start with \\x93NUMPY/],
    [
      'a float64 beyond float32',
      () => npy(dict('(1, 2)', '<f8'), Float64Array.from([1, 1e39])),
      /element \[0\]\[1\] is 1e\+39, outside float32's range/,
    ],
    ['NaN', () => dump(Float32Array.from([1, NaN]), [1, 2]), /element \[0\]\[1\] is NaN, not a finite number/],
  ])('%s', (_, file, message) => {
    const read = () => parseNpy(file(), 'Q from q.npy');
    expect(read).toThrow(InputError);
    expect(read).toThrow(message);
    expect(read).toThrow(/^Q from q\.npy: /);
  });

  it.each([
    ['version 2.0', [2, 0] as [number, number]],
    ['version 3.0', [3, 0] as [number, number]],
  ])('reads %s headers', (_, version) => {
    expect(Array.from(parseNpy(npy(dict('(2, 2)'), f32(4), version)).data)).toEqual([0.5, 1.5, 2.5, 3.5]);
  });

  it('reads a 1-D array as one row, and float64 values as stored (1e-50 is a float32 zero only on the GPU)', () => {
    const m = parseNpy(npy(dict('(3,)', '<f8'), Float64Array.from([1, 1e-50, -2])));
    expect([m.rows, m.cols]).toEqual([1, 3]);
    expect(Array.from(m.data)).toEqual([1, 1e-50, -2]);
    expect(Array.from(float32Matrix(m).data)).toEqual([1, 0, -2]);
  });
});

describe('.csv and .json cells the readers refuse', () => {
  it.each([
    ['csv hex', () => parseDelimited('1,0x10\n2,3'), /element \[0\]\[1\] is "0x10", not a decimal number/],
    ['csv binary', () => parseDelimited('0b101,1'), /element \[0\]\[0\] is "0b101", not a decimal number/],
    ['csv octal', () => parseDelimited('1\n0o17'), /element \[1\]\[0\] is "0o17", not a decimal number/],
    ['csv Infinity', () => parseDelimited('1,Infinity'), /element \[0\]\[1\] is "Infinity", not a decimal number/],
    ['csv -Infinity', () => parseDelimited('-Infinity,1'), /element \[0\]\[0\] is "-Infinity", not a decimal number/],
    ['csv NaN', () => parseDelimited('1,NaN'), /element \[0\]\[1\] is "NaN", not a decimal number/],
    ['csv empty cell', () => parseDelimited('1,,2'), /element \[0\]\[1\] is "", not a decimal number/],
    ['csv digit separators', () => parseDelimited('1_000,2'), /element \[0\]\[0\] is "1_000", not a decimal number/],
    [
      'csv 1e39 (float32 infinity)',
      () => parseDelimited('1,2\n3,1e39'),
      /element \[1\]\[1\] is 1e\+39, outside float32's range \(±3\.4028235e38\)/,
    ],
    ['csv -1e39', () => parseDelimited('-1e39'), /element \[0\]\[0\] is -1e\+39, outside float32's range/],
    ['csv 1e400 (float64 infinity)', () => parseDelimited('1e400'), /element \[0\]\[0\] is Infinity, not a finite number/],
    ['csv ragged rows', () => parseDelimited('1,2\n3'), /row 1 has 1 values, row 0 has 2/],
    ['csv no rows', () => parseDelimited('\n \n'), /no rows/],
    ['csv more rows than the page holds', () => parseDelimited('1\n'.repeat(MAX_ROWS + 1)), new RegExp(`has ${MAX_ROWS + 1} rows`)],
    ['json hex string', () => parseJsonMatrix('[["0x10", 1]]'), /element \[0\]\[0\] is "0x10", not a decimal number/],
    ['json binary string', () => parseJsonMatrix('[[1, "0b101"]]'), /element \[0\]\[1\] is "0b101", not a decimal number/],
    ['json "Infinity"', () => parseJsonMatrix('[[1, "Infinity"]]'), /element \[0\]\[1\] is "Infinity", not a decimal number/],
    ['json empty string', () => parseJsonMatrix('[[""]]'), /element \[0\]\[0\] is "", not a decimal number/],
    ['json null', () => parseJsonMatrix('[[1, null]]'), /element \[0\]\[1\] is null, not a decimal number/],
    ['json boolean', () => parseJsonMatrix('[[true]]'), /element \[0\]\[0\] is true, not a decimal number/],
    ['json 1e39', () => parseJsonMatrix('[[1e39, 2]]'), /element \[0\]\[0\] is 1e\+39, outside float32's range/],
    ['json 1e400', () => parseJsonMatrix('[[1e400]]'), /element \[0\]\[0\] is Infinity, not a finite number/],
    ['json a 0×3 (no rows)', () => parseJsonMatrix('[]'), /expected a non-empty array of rows/],
    ['json a 3×0', () => parseJsonMatrix('[[], [], []]'), /rows are empty/],
    ['json an object', () => parseJsonMatrix('{"q": [[1]]}'), /expected a non-empty array of rows/],
    ['json a row that is a number among arrays', () => parseJsonMatrix('[[1], 2]'), /row 1 is 2, not an array/],
    ['json nested 3 levels', () => parseJsonMatrix('[[[1]]]'), /element \[0\]\[0\] is an array, not a decimal number/],
    [
      'json nested 10⁴ levels',
      () => parseJsonMatrix('['.repeat(10_000) + '1' + ']'.repeat(10_000)),
      /element \[0\]\[0\] is an array, not a decimal number/,
    ],
    ['json nested 10⁶ levels', () => parseJsonMatrix('['.repeat(1_000_000) + ']'.repeat(1_000_000)), /element \[0\]\[0\] is an array/],
    ['json cut off', () => parseJsonMatrix('[[1,2'), /not valid JSON/],
    [
      'json more rows than the page holds',
      () => parseJsonMatrix(JSON.stringify(Array.from({ length: MAX_ROWS + 1 }, () => [1]))),
      /rows; the page holds at most/,
    ],
  ])('%s', (_, read, message) => {
    expect(read).toThrow(InputError);
    expect(read).toThrow(message);
  });

  it.each([
    ['plain decimals', '1, -2.5, .5, 5., +3e-2, 1E3', [1, -2.5, 0.5, 5, 0.03, 1000]],
    ['float32 max, as written', '3.4028235e38', [3.4028235e38]],
    ['a subnormal underflow, as written (the GPU gets float32 zero)', '1e-50', [1e-50]],
    ['a Unicode minus', '\u22122', [-2]],
  ])('reads %s', (_, text, values) => {
    expect(Array.from(parseDelimited(text).data)).toEqual(values);
    expect(Array.from(parseJsonMatrix(JSON.stringify(text.split(',').map((x) => x.trim()))).data)).toEqual(values);
  });
});
