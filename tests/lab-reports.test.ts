import { describe, expect, it, vi } from 'vitest';
import type { VerifyReport } from '../src/core/verify/report';
import type { AttentionEngine } from '../src/gpu/engine';

// The suite itself is tested elsewhere; here only which stage's report a tab gets.
vi.mock('../src/gpu/verify-suite', () => ({
  verifyKernel: async (_engine: unknown, options: { stage: string; source: string }) =>
    ({ stage: options.stage, status: options.source.includes('bad') ? 'fail' : 'pass', cases: [] }) as unknown as VerifyReport,
}));
const { VerificationController } = await import('../src/ui/verification-controller');

function controller() {
  const host = {
    addController: () => undefined,
    removeController: () => undefined,
    requestUpdate: () => undefined,
    updateComplete: Promise.resolve(true),
  };
  return new VerificationController(host);
}
const engine = {} as AttentionEngine;
const status = (v: ReturnType<typeof controller>, stage: 'qk' | 'softmax' | 'pv') => v.shown(stage).report?.status ?? null;

describe('VerificationController: each stage keeps its own report', () => {
  it('a stage never verified shows nothing, even while another stage has a report', async () => {
    const v = controller();
    await v.run(engine, { stage: 'qk', source: 'bad qk', label: 'edited kernel' });
    expect(status(v, 'qk')).toBe('fail');
    expect(status(v, 'softmax')).toBeNull();
  });

  it('verifying another stage keeps the first stage’s report under its own tab', async () => {
    const v = controller();
    await v.run(engine, { stage: 'qk', source: 'bad qk', label: 'edited kernel' });
    await v.run(engine, { stage: 'softmax', source: 'good softmax', label: 'built-in kernel' });
    expect([status(v, 'qk'), status(v, 'softmax'), status(v, 'pv')]).toEqual(['fail', 'pass', null]);
    expect(v.shown('qk').source).toBe('bad qk');
  });

  it.each(['qk', 'softmax'] as const)('an edit of %s forgets only that stage’s report', async (stage) => {
    const v = controller();
    await v.run(engine, { stage: 'qk', source: 'bad qk', label: 'edited kernel' });
    await v.run(engine, { stage: 'softmax', source: 'good softmax', label: 'built-in kernel' });
    v.forget(stage);
    expect(status(v, stage)).toBeNull();
    const other = stage === 'qk' ? 'softmax' : 'qk';
    expect(status(v, other)).not.toBeNull();
  });
});
