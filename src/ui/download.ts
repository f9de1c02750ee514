/** Saving a file the page made (an exported tensor, a heatmap PNG) through a temporary link. */
import type { FloatArray, Matrix } from '../core/tensor';
import type { MatrixFormat } from '../core/io';
import { serializeMatrix } from '../core/io';

export function downloadBlob(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.style.display = 'none';
  document.body.append(link);
  link.click();
  link.remove();
  // Revoke later: some browsers read the URL after click() returns.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

const TYPES: Record<MatrixFormat, string> = { npy: 'application/octet-stream', json: 'application/json', csv: 'text/csv' };

export function downloadMatrix(m: Matrix<FloatArray>, baseName: string, format: MatrixFormat): void {
  downloadBlob(new Blob([serializeMatrix(m, format)], { type: TYPES[format] }), `${baseName}.${format}`);
}
