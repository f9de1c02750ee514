/** The built-in kernels read from shaders/ on disk (the page bundles the same files with Vite). */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ShaderLibrary } from '../gpu/variants';

export const SHADER_DIR = join(dirname(fileURLToPath(import.meta.url)), '../../shaders');

export function loadShaderLibrary(dir = SHADER_DIR): ShaderLibrary {
  const library: Record<string, string> = {};
  for (const file of readdirSync(dir)) if (file.endsWith('.wgsl')) library[file] = readFileSync(join(dir, file), 'utf8');
  return library;
}
