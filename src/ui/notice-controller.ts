/**
 * The page's notices (a bad file, a lost device, a copied link): at most four, newest last, the
 * same text never twice; information closes itself after a few seconds, errors stay until closed.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { NoticeLevel } from './events';

export interface Notice {
  id: number;
  level: NoticeLevel;
  text: string;
}

const MAX_NOTICES = 4;
const INFO_MS = 6000;

export class NoticeController implements ReactiveController {
  notices: readonly Notice[] = [];
  private counter = 0;
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();

  constructor(private readonly host: ReactiveControllerHost) {
    host.addController(this);
  }

  hostDisconnected(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  notify(level: NoticeLevel, text: string): void {
    const id = ++this.counter;
    this.notices = [...this.notices.filter((n) => n.text !== text), { id, level, text }].slice(-MAX_NOTICES);
    if (level === 'info') {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        this.dismiss(id);
      }, INFO_MS);
      this.timers.add(timer);
    }
    this.host.requestUpdate();
  }

  dismiss(id: number): void {
    const kept = this.notices.filter((n) => n.id !== id);
    if (kept.length === this.notices.length) return;
    this.notices = kept;
    this.host.requestUpdate();
  }
}
