/**
 * Undo and redo over immutable snapshots. Edits that arrive in a burst with the same key (typing
 * in one cell, dragging a slider) collapse into one step, so Ctrl+Z undoes the edit, not a keystroke;
 * a run of same-key steps that comes back to the very snapshot it began from leaves no step.
 */
export class UndoHistory<T> {
  /** Snapshots to go back to, each with the key of the edit that replaced it. */
  private past: { state: T; key: string | null }[] = [];
  private future: T[] = [];
  private lastKey: string | null = null;
  private lastAt = -Infinity;

  constructor(
    private readonly limit = 200,
    private readonly burstMs = 1000,
  ) {}

  /**
   * Records `before`, the state an edit is about to replace. With a key equal to the previous
   * edit's, within burstMs, the previous snapshot stands for both.
   */
  record(before: T, key: string | null = null, now = Date.now()): void {
    const sameBurst = key !== null && key === this.lastKey && now - this.lastAt < this.burstMs;
    this.lastKey = key;
    this.lastAt = now;
    this.future = [];
    if (sameBurst) return;
    this.past.push({ state: before, key });
    if (this.past.length > this.limit) this.past.shift();
  }

  /**
   * The edit just recorded left `after`. When that is the very snapshot (the same object) that the
   * latest run of steps under its key began from — a refused typed text putting back the state its
   * keystrokes started from — the run's steps go: Undo would first come back to the state already
   * shown (a no-op), then to the keystrokes the refusal took back. The next edit is a new step.
   */
  left(after: T): void {
    const key = this.lastKey;
    if (key === null) return;
    for (let i = this.past.length - 1; i >= 0 && this.past[i]!.key === key; i--) {
      if (this.past[i]!.state !== after) continue;
      this.past.length = i;
      this.lastKey = null;
      return;
    }
  }

  /** The state to go back to (current goes onto the redo stack), or null when there is none. */
  undo(current: T): T | null {
    const previous = this.past.pop();
    if (previous === undefined) return null;
    this.future.push(current);
    this.lastKey = null;
    return previous.state;
  }

  redo(current: T): T | null {
    const next = this.future.pop();
    if (next === undefined) return null;
    this.past.push({ state: current, key: null });
    this.lastKey = null;
    return next;
  }

  get canUndo(): boolean {
    return this.past.length > 0;
  }

  get canRedo(): boolean {
    return this.future.length > 0;
  }
}
