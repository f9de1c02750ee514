/**
 * The write-ahead record of GPU runs that use edited kernels (playground runs, model steps), as
 * kernel-staging.ts keeps one for a kernel's first run: written before such a run, cleared when it
 * comes back. A page that freezes or dies in the middle of the run (a kernel that hangs only at the
 * playground's size, past its quick check, can take the renderer with it) leaves the record behind,
 * and the next load holds those kernels instead of running them again (attn-app).
 *
 * A page closed normally while a run is still within its time limit shows no sign of a hang: its
 * record is dropped on `pagehide`, so an ordinary reload does not hold a kernel.
 */
import type { TrialRecord } from '../core/kernel-safety';
import { fingerprint } from '../core/kernel-safety';
import type { StageName } from '../core/stages';
import { isStageName } from '../core/stages';
import { writeRunRecords } from './persistence';

interface InFlight {
  records: TrialRecord[];
  startedAt: number;
  limitMs: number;
}

export class KernelRunRecord {
  private readonly inFlight = new Set<InFlight>();

  constructor(
    private readonly write: (records: readonly TrialRecord[]) => void = writeRunRecords,
    private readonly now: () => number = Date.now,
  ) {}

  /** Runs `run` with its edited kernels on record; without edited kernels it just runs. */
  async around<T>(kernels: Readonly<Record<string, string>> | null, limitMs: number, run: () => Promise<T>): Promise<T> {
    const startedAt = this.now();
    const records = Object.entries(kernels ?? {})
      .filter((entry): entry is [StageName, string] => isStageName(entry[0]))
      .map(([stage, source]) => ({ stage, fingerprint: fingerprint(source), startedAt }));
    if (records.length === 0) return run();
    const entry = { records, startedAt, limitMs };
    this.inFlight.add(entry);
    this.flush();
    try {
      return await run();
    } finally {
      this.inFlight.delete(entry);
      this.flush();
    }
  }

  /** The page is closing normally: runs still inside their time limit are no evidence of a hang. */
  pageHidden(): void {
    const now = this.now();
    const before = this.inFlight.size;
    for (const entry of this.inFlight) if (now - entry.startedAt < entry.limitMs) this.inFlight.delete(entry);
    if (this.inFlight.size !== before) this.flush();
  }

  private flush(): void {
    this.write([...this.inFlight].flatMap((entry) => entry.records));
  }
}
