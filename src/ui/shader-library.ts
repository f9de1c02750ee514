/** The built-in kernels, bundled by Vite from shaders/ (Node reads the same files from disk). */
import type { ShaderLibrary } from '../gpu/variants';

const files = import.meta.glob('/shaders/*.wgsl', { query: '?raw', import: 'default', eager: true }) as Record<string, string>;

export const SHADERS: ShaderLibrary = Object.fromEntries(Object.entries(files).map(([path, source]) => [path.split('/').pop()!, source]));
