/**
 * Undo and redo over immutable snapshots. Edits that arrive in a burst with the same key (typing
 * in one cell, dragging a slider) collapse into one step, so Ctrl+Z undoes the edit, not a keystroke.
 */
export class UndoHistory<T> {
  private past: T[] = [];
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
    this.past.push(before);
    if (this.past.length > this.limit) this.past.shift();
  }

  /** The state to go back to (current goes onto the redo stack), or null when there is none. */
  undo(current: T): T | null {
    const previous = this.past.pop();
    if (previous === undefined) return null;
    this.future.push(current);
    this.lastKey = null;
    return previous;
  }

  redo(current: T): T | null {
    const next = this.future.pop();
    if (next === undefined) return null;
    this.past.push(current);
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
