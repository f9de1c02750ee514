import { describe, expect, it } from 'vitest';
import { dump } from 'npyjs';
import { parseDelimited, parseJsonMatrix, parseMatrix, parseNpy, toCsv, toJson, toNpy } from '../src/core/io';
import { fromRows } from '../src/core/tensor';
import { InputError } from '../src/core/errors';

const m = fromRows([
  [1, 2.5, -3],
  [4, 5, 6e-3],
]);

describe('matrix files', () => {
  it.each(['npy', 'json', 'csv'] as const)('round-trips through .%s', (format) => {
    const data = format === 'npy' ? toNpy(m) : new TextEncoder().encode(format === 'json' ? toJson(m) : toCsv(m)).buffer;
    const back = parseMatrix(data as ArrayBuffer, `m.${format}`);
    expect(back.rows).toBe(2);
    expect(back.cols).toBe(3);
    expect(Array.from(back.data)).toEqual(Array.from(m.data));
  });

  it('reads float64 and Fortran-ordered .npy as float32 row-major', () => {
    const f64 = dump(Float64Array.from([1, 2, 3, 4, 5, 6]), [2, 3]);
    expect(Array.from(parseNpy(f64).data)).toEqual([1, 2, 3, 4, 5, 6]);
    // Same bytes, header flag flipped: the data now reads column by column.
    const bytes = new Uint8Array(f64.slice(0));
    const header = String.fromCharCode(...bytes.subarray(0, 128));
    const at = header.indexOf("'fortran_order':False");
    expect(at).toBeGreaterThan(0);
    bytes.set(
      Array.from("'fortran_order':True ", (c) => c.charCodeAt(0)),
      at,
    );
    expect(Array.from(parseNpy(bytes.buffer).data)).toEqual([1, 3, 5, 2, 4, 6]);
  });

  it('reads spreadsheet pastes, tab- or comma-separated', () => {
    expect(Array.from(parseDelimited('1\t2\n3\t4\n').data)).toEqual([1, 2, 3, 4]);
    expect(Array.from(parseDelimited('1, 2\r\n3, 4').data)).toEqual([1, 2, 3, 4]);
  });

  it.each([
    ['ragged JSON', () => parseJsonMatrix('[[1,2],[3]]'), /row 1 has 1 values, row 0 has 2/],
    ['not JSON', () => parseJsonMatrix('[[1,2'), /not valid JSON/],
    ['text cell', () => parseDelimited('1,x\n2,3'), /element \[0\]\[1\] is "x"/],
    ['NaN in JSON', () => parseJsonMatrix('[["NaN", 1]]'), /element \[0\]\[0\] is "NaN", not a decimal number/],
    ['3-D npy', () => parseNpy(dump(new Float32Array(8), [2, 2, 2])), /expected a 2-D array, got shape \(2, 2, 2\)/],
    ['garbage npy', () => parseNpy(new Uint8Array([1, 2, 3, 4]).buffer), /not a valid \.npy file/],
    ['NaN in npy', () => parseNpy(dump(Float32Array.from([1, NaN]), [1, 2])), /\[0\]\[1\] is NaN/],
    ['unknown extension', () => parseMatrix(new ArrayBuffer(0), 'q.xlsx'), /unknown file type \.xlsx/],
  ])('rejects %s with a message', (_, parse, message) => {
    expect(parse).toThrow(InputError);
    expect(parse).toThrow(message);
  });
});
