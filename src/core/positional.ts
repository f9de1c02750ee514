/**
 * Sinusoidal positional encoding (Vaswani et al. 2017, §3.5):
 *   PE[pos][2i] = sin(pos / 10000^(2i/d)),  PE[pos][2i+1] = cos(pos / 10000^(2i/d)).
 * Added to the word vectors so identical words at different positions get different queries.
 */
import { matrix, type Matrix } from './tensor';

export function positionalEncoding(rows: number, dims: number): Matrix {
  const pe = matrix(rows, dims);
  for (let pos = 0; pos < rows; pos++) {
    for (let col = 0; col < dims; col++) {
      const pair = col - (col % 2);
      const angle = pos / Math.pow(10000, pair / dims);
      pe.data[pos * dims + col] = col % 2 === 0 ? Math.sin(angle) : Math.cos(angle);
    }
  }
  return pe;
}
