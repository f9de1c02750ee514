/** Every examples/*.json preset, bundled and validated. */
import type { Preset } from '../core/presets';
import { parsePreset } from '../core/presets';

const files = import.meta.glob('/examples/*.json', { import: 'default', eager: true }) as Record<string, unknown>;

export const PRESETS: Preset[] = Object.entries(files)
  .map(([path, value]) => parsePreset(value, path))
  .sort((a, b) => a.id.localeCompare(b.id));
