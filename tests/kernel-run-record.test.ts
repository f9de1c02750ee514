/**
 * The write-ahead record of GPU runs with edited kernels: on record while a run is out, cleared
 * when it comes back (or throws), dropped on a normal page close inside the time limit, kept when
 * a run outlived its limit; and the stored list read back defensively.
 */
import { describe, expect, it } from 'vitest';
import type { TrialRecord } from '../src/core/kernel-safety';
import { encodeTrialRecords, fingerprint, parseTrialRecords, stageLeftOnTrial } from '../src/core/kernel-safety';
import { KernelRunRecord } from '../src/ui/kernel-run-record';

function recorder() {
  const writes: TrialRecord[][] = [];
  let now = 1000;
  const record = new KernelRunRecord(
    (records) => writes.push([...records]),
    () => now,
  );
  return { record, writes, last: () => writes.at(-1), advance: (ms: number) => (now += ms) };
}

/** A run that finishes when told to. */
function pending<T>(value: T) {
  let finish!: () => void;
  const done = new Promise<T>((resolve) => (finish = () => resolve(value)));
  return { run: () => done, finish };
}

describe('KernelRunRecord', () => {
  it('writes nothing for a run with the built-in kernels', async () => {
    const { record, writes } = recorder();
    await expect(record.around(null, 5000, async () => 7)).resolves.toBe(7);
    await record.around({}, 5000, async () => 0);
    expect(writes).toEqual([]);
  });

  it('keeps the edited kernels on record while the run is out, and clears them when it returns', async () => {
    const { record, last } = recorder();
    const gpu = pending('done');
    const out = record.around({ qk: 'loop {}', softmax: 'fn main() {}' }, 5000, gpu.run);
    expect(last()).toEqual([
      { stage: 'qk', fingerprint: fingerprint('loop {}'), startedAt: 1000 },
      { stage: 'softmax', fingerprint: fingerprint('fn main() {}'), startedAt: 1000 },
    ]);
    gpu.finish();
    await expect(out).resolves.toBe('done');
    expect(last()).toEqual([]);
  });

  it('clears the record when the run throws (a timeout is held by the watchdog, not by the record)', async () => {
    const { record, last } = recorder();
    await expect(
      record.around({ pv: 'x' }, 5000, async () => {
        throw new Error('timed out');
      }),
    ).rejects.toThrow('timed out');
    expect(last()).toEqual([]);
  });

  it('holds the union of the runs in flight (a playground run and a model step)', async () => {
    const { record, last } = recorder();
    const a = pending(1);
    const b = pending(2);
    const first = record.around({ qk: 'a' }, 5000, a.run);
    const second = record.around({ pv: 'b' }, 5000, b.run);
    expect(last()!.map((r) => r.stage)).toEqual(['qk', 'pv']);
    a.finish();
    await first;
    expect(last()!.map((r) => r.stage)).toEqual(['pv']);
    b.finish();
    await second;
    expect(last()).toEqual([]);
  });

  it('a normal page close drops runs still inside their limit and keeps one that outlived it', async () => {
    const { record, last, advance } = recorder();
    const slow = pending(0);
    void record.around({ qk: 'slow' }, 5000, slow.run);
    advance(6000);
    const young = pending(0);
    void record.around({ pv: 'young' }, 5000, young.run);
    advance(1000);
    record.pageHidden();
    expect(last()!.map((r) => r.stage)).toEqual(['qk']);
  });

  it('a page closed with nothing in flight leaves storage alone', () => {
    const { record, writes } = recorder();
    record.pageHidden();
    expect(writes).toEqual([]);
  });
});

describe('the stored list of run records', () => {
  const good: TrialRecord = { stage: 'qk', fingerprint: fingerprint('k'), startedAt: 3 };

  it('reads back what was written', () => {
    expect(parseTrialRecords(encodeTrialRecords([good, { ...good, stage: 'pv' }]))).toEqual([good, { ...good, stage: 'pv' }]);
  });

  it.each([null, '', 'not json', '{}', 'null', '"qk"', '[1, "x", null]'])('reads %j as no records', (text) => {
    expect(parseTrialRecords(text)).toEqual([]);
  });

  it('keeps the well-formed records of a partly damaged list', () => {
    expect(parseTrialRecords(JSON.stringify([good, { stage: 'nope', fingerprint: 'x', startedAt: 1 }]))).toEqual([good]);
  });

  it('holds a stage on load only while the state still has the kernel that was running', () => {
    expect(stageLeftOnTrial(good, { qk: 'k' })).toBe('qk');
    expect(stageLeftOnTrial(good, { qk: 'k edited since' })).toBeNull();
    expect(stageLeftOnTrial(good, null)).toBeNull();
  });
});
