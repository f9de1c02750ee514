import { describe, expect, it } from 'vitest';
import { dump } from 'npyjs';
import { parseDelimited, parseJsonMatrix, parseMatrix, parseNpy, toCsv, toJson, toNpy } from '../src/core/io';
import { fromRows } from '../src/core/tensor';
import { InputError } from '../src/core/errors';
import { boolNpy } from './helpers/npy-bytes';

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
    // A float32 matrix (what the GPU computed) comes back as the same float32s, written shortest (0.006).
    expect(Array.from(back.data, Math.fround)).toEqual(Array.from(m.data));
    expect(back.data[5]).toBe(0.006);
  });

  // Numbers as typed, beyond float32's precision: a grid holds them; the GPU gets their float32s.
  const typed = [
    [0.1, 0.123456789, -1 / 3],
    [1e-7, 2.5, 123456.789],
  ];

  it.each(['json', 'csv'] as const)('gives back the numbers a grid holds, exactly, through .%s (export, then import)', (format) => {
    const grid = { rows: 2, cols: 3, data: Float64Array.from(typed.flat()) };
    const text = format === 'json' ? toJson(grid) : toCsv(grid);
    const back = parseMatrix(new TextEncoder().encode(text).buffer as ArrayBuffer, `m.${format}`);
    expect(back.data).toBeInstanceOf(Float64Array);
    expect(Array.from(back.data)).toEqual(typed.flat());
  });

  it('reads .json and .csv numbers as written, not rounded to float32', () => {
    expect(Array.from(parseJsonMatrix('[[0.1, "0.2"]]').data)).toEqual([0.1, 0.2]);
    expect(Array.from(parseDelimited('0.1,0.7\n1e-7,3').data)).toEqual([0.1, 0.7, 1e-7, 3]);
    // What float32 would have made of them (what the import used to put in the grid).
    expect(Math.fround(0.1)).not.toBe(0.1);
  });

  it('reads a float32 or float16 .npy as the shortest decimals of its float32s, a float64 .npy as stored', () => {
    const f32 = parseNpy(dump(Float32Array.from([0.1, -1 / 3, 2.5]), [1, 3]));
    expect(Array.from(f32.data)).toEqual([0.1, -0.33333334, 2.5]);
    // Each is the same float32 the file holds.
    expect(Array.from(f32.data, Math.fround)).toEqual(Array.from(Float32Array.from([0.1, -1 / 3, 2.5])));
    // float16: 0.1 is stored as 0x2e66 = 0.0999755859375, whose shortest float32 decimal is 0.099975586.
    const half = new Uint8Array(dump(new Float32Array(1), [1, 1]));
    const header = new TextDecoder('latin1').decode(half).replace("'<f4'", "'<f2'");
    const bytes = new Uint8Array(header.length - 2);
    bytes.set(Array.from(header.slice(0, header.length - 4), (c) => c.charCodeAt(0)));
    new DataView(bytes.buffer).setUint16(header.length - 4, 0x2e66, true);
    expect(Array.from(parseNpy(bytes.buffer).data)).toEqual([0.099975586]);
    const f64 = parseNpy(dump(Float64Array.from([0.1, 0.123456789]), [1, 2]));
    expect(Array.from(f64.data)).toEqual([0.1, 0.123456789]);
  });

  it('reads float64 and Fortran-ordered .npy row-major', () => {
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

  it.each([
    ['C order', false, [1, 0, 0, 1, 1, 0], [1, 0, 0, 1, 1, 0]],
    // Column by column: the same bytes read as rows [1, 0, 1] and [0, 1, 0].
    ['Fortran order', true, [1, 0, 0, 1, 1, 0], [1, 0, 1, 0, 1, 0]],
  ])("reads a boolean ('|b1') .npy, numpy's mask type, as 0 and 1 (%s)", (_, fortran, bytes, expected) => {
    const file = boolNpy(2, 3, bytes, fortran);
    const read = parseMatrix(file, 'mask.npy', 'mask (mask.npy)');
    expect([read.rows, read.cols]).toEqual([2, 3]);
    expect(Array.from(read.data)).toEqual(expected);
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
