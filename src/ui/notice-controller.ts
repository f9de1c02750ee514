/**
 * The page's notices (a bad file, a lost device, a copied link). One place for the current problem:
 * at most one error is shown, the newest; the errors it replaced stay in a short `earlier` list the
 * user can open. Information closes itself after a few seconds (at most three at once), except
 * lasting information (a standing hazard, such as another tab's save), which waits for its source.
 * Every notice can be closed, and a notice given a `source` (e.g. "matrix:q", "gpu") is replaced by
 * the next notice from that source and cleared by `clear(source)` once that source succeeds.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { NoticeLevel } from './events';

export interface Notice {
  id: number;
  level: NoticeLevel;
  text: string;
  /** What the notice is about; a later success there clears it. */
  source?: string;
  /** Information that stays until its source clears it or the user closes it (a standing hazard, not news). */
  lasting?: true;
  /** Buttons the notice offers (e.g. open or download what was kept aside); a notice with any is lasting. */
  actions?: readonly NoticeAction[];
}

/** A button on a notice: what it says, what it does, and whether that settles the notice (it closes). */
export interface NoticeAction {
  label: string;
  run(): void;
  closes?: true;
}

/** What a notice may have beyond its text: lasting (it waits for its source) and buttons. */
export interface NoticeExtras {
  lasting?: boolean;
  actions?: readonly NoticeAction[];
}

const MAX_INFO = 3;
const MAX_EARLIER = 5;
export const INFO_MS = 6000;

export class NoticeController implements ReactiveController {
  /** The current error, if any. */
  error: Notice | null = null;
  /** Errors the current one replaced, newest first (closed ones are gone). */
  earlier: readonly Notice[] = [];
  /** Information, oldest first; each closes itself after INFO_MS. */
  infos: readonly Notice[] = [];
  private counter = 0;
  private readonly timers = new Map<number, ReturnType<typeof setTimeout>>();

  constructor(private readonly host: ReactiveControllerHost) {
    host.addController(this);
  }

  /** What is on show: the current error first, then information. */
  get notices(): readonly Notice[] {
    return this.error ? [this.error, ...this.infos] : this.infos;
  }

  hostDisconnected(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  /**
   * Rewrites the text of every notice on show and kept as earlier (e.g. a timeout's "being replaced"
   * once the new device is ready); a notice whose text does not change stays as it is.
   */
  rewrite(change: (text: string) => string): void {
    const rewritten = (n: Notice): Notice => {
      const text = change(n.text);
      return text === n.text ? n : { ...n, text };
    };
    const error = this.error && rewritten(this.error);
    const earlier = this.earlier.map(rewritten);
    const infos = this.infos.map(rewritten);
    const changed = error !== this.error || earlier.some((n, i) => n !== this.earlier[i]) || infos.some((n, i) => n !== this.infos[i]);
    if (!changed) return;
    this.error = error;
    this.earlier = earlier;
    this.infos = infos;
    this.host.requestUpdate();
  }

  /**
   * `lasting` information, and any notice with actions, does not close itself (nor count towards the
   * three shown): its source clears it, or the user.
   */
  notify(level: NoticeLevel, text: string, source?: string, extras: NoticeExtras = {}): void {
    const actions = extras.actions?.length ? extras.actions : undefined;
    const lasting = extras.lasting === true || actions !== undefined;
    const notice: Notice = {
      id: ++this.counter,
      level,
      text,
      ...(source ? { source } : {}),
      ...(lasting ? { lasting } : {}),
      ...(actions ? { actions } : {}),
    };
    // A source has one notice at a time; the same text is never shown twice.
    const replaced = (n: Notice) => n.text === text || (source !== undefined && n.source === source);
    this.earlier = this.earlier.filter((n) => !replaced(n));
    this.dropInfos(replaced);
    if (level === 'error') {
      const previous = this.error;
      if (previous && !replaced(previous)) this.earlier = [previous, ...this.earlier].slice(0, MAX_EARLIER);
      this.error = notice;
    } else {
      if (this.error && replaced(this.error)) this.error = null;
      this.infos = [...this.infos, notice];
      const passing = this.infos.filter((n) => !n.lasting);
      this.dropInfos((n) => passing.indexOf(n) >= 0 && passing.indexOf(n) < passing.length - MAX_INFO);
      if (!lasting)
        this.timers.set(
          notice.id,
          setTimeout(() => this.dismiss(notice.id), INFO_MS),
        );
    }
    this.host.requestUpdate();
  }

  /** The source succeeded: its notices (shown or earlier) go. */
  clear(source: string): void {
    this.remove((n) => n.source === source);
  }

  dismiss(id: number): void {
    this.remove((n) => n.id === id);
  }

  private remove(gone: (n: Notice) => boolean): void {
    const before = this.notices.length + this.earlier.length;
    if (this.error && gone(this.error)) this.error = null;
    this.earlier = this.earlier.filter((n) => !gone(n));
    this.dropInfos(gone);
    if (this.notices.length + this.earlier.length !== before) this.host.requestUpdate();
  }

  private dropInfos(gone: (n: Notice) => boolean): void {
    const dropped = this.infos.filter(gone);
    if (!dropped.length) return;
    for (const n of dropped) {
      clearTimeout(this.timers.get(n.id));
      this.timers.delete(n.id);
    }
    this.infos = this.infos.filter((n) => !gone(n));
  }
}
