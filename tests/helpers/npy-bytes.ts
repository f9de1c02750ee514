/** .npy files written byte by byte, as numpy writes the dtypes npyjs's `dump` does not (bool as '|b1'). */

/** A bool array as numpy saves it: version 1.0, the header padded to 64 bytes, one byte a value. */
export function boolNpy(rows: number, cols: number, values: number[], fortranOrder = false): ArrayBuffer {
  const header = `{'descr': '|b1', 'fortran_order': ${fortranOrder ? 'True' : 'False'}, 'shape': (${rows}, ${cols}), }`;
  const padded = header + ' '.repeat((64 - ((10 + header.length + 1) % 64)) % 64) + '\n';
  const out = new Uint8Array(10 + padded.length + values.length);
  out.set([0x93, ...Array.from('NUMPY', (c) => c.charCodeAt(0)), 1, 0, padded.length & 0xff, padded.length >> 8]);
  out.set(
    Array.from(padded, (c) => c.charCodeAt(0)),
    10,
  );
  out.set(values, 10 + padded.length);
  return out.buffer;
}
