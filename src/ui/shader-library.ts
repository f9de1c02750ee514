/**
 * The shader library in the page: every .wgsl file under shaders/, subfolders included, bundled by
 * Vite (Node reads the same files from disk: src/node/shaders.ts). Keys are paths relative to
 * shaders/, e.g. 'qk_scores.wgsl', 'roofline/copy_bandwidth.wgsl'.
 */
import type { ShaderLibrary } from '../gpu/variants';

const files = import.meta.glob('/shaders/**/*.wgsl', { query: '?raw', import: 'default', eager: true }) as Record<string, string>;

export const SHADERS: ShaderLibrary = Object.fromEntries(
  Object.entries(files).map(([path, source]) => [path.slice('/shaders/'.length), source]),
);
