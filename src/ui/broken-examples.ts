/** The instructive broken kernels of examples/kernels/ (index.json names each), with their sources. */
import type { StageName } from '../core/stages';
import exampleIndex from '../../examples/kernels/index.json';

export interface BrokenExample {
  file: string;
  stage: StageName;
  name: string;
  description: string;
  expectedHint: string;
  source: string;
}

const sources = import.meta.glob('/examples/kernels/*.wgsl', { query: '?raw', import: 'default', eager: true }) as Record<string, string>;

export const BROKEN_EXAMPLES: BrokenExample[] = (exampleIndex as Omit<BrokenExample, 'source'>[])
  .map((e) => ({ ...e, source: sources[`/examples/kernels/${e.file}`] ?? '' }))
  .filter((e) => e.source !== '');
