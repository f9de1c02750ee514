/**
 * The shader library in Node: every .wgsl file under shaders/, subfolders included, read from disk
 * (the page bundles the same files with Vite: src/ui/shader-library.ts). Keys are paths relative to
 * shaders/ with forward slashes, e.g. 'qk_scores.wgsl', 'roofline/copy_bandwidth.wgsl'.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ShaderLibrary } from '../gpu/variants';

export const SHADER_DIR = join(dirname(fileURLToPath(import.meta.url)), '../../shaders');

export function loadShaderLibrary(dir = SHADER_DIR): ShaderLibrary {
  const library: Record<string, string> = {};
  for (const path of readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort()) {
    if (path.endsWith('.wgsl')) library[path.split(sep).join('/')] = readFileSync(join(dir, path), 'utf8');
  }
  return library;
}
