/**
 * A Lit controller that mirrors document.head's styles into a shadow root. Libraries such as
 * Monaco put their CSS in document.head, which does not reach into shadow DOM: every style and
 * stylesheet link there is cloned into a target element and kept in step (Monaco also adds rules
 * through the CSSOM, which a MutationObserver does not see: call `sync` after such changes).
 * The clones and the observer go when the host disconnects.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';

export class HeadStyleMirror implements ReactiveController {
  private observer: MutationObserver | null = null;
  private readonly clones = new Map<Node, HTMLElement>();

  constructor(
    host: ReactiveControllerHost,
    /** Where the clones go (null while it is not rendered). */
    private readonly target: () => HTMLElement | null,
  ) {
    host.addController(this);
  }

  /** Copies the styles now and follows document.head from here on. */
  start(): void {
    this.sync();
    this.observer = new MutationObserver(() => this.sync());
    this.observer.observe(document.head, { childList: true, subtree: true, characterData: true });
  }

  hostDisconnected(): void {
    this.observer?.disconnect();
    this.observer = null;
    for (const clone of this.clones.values()) clone.remove();
    this.clones.clear();
  }

  sync = () => {
    const host = this.target();
    if (!host) return;
    const current = new Set<Node>();
    for (const node of document.head.querySelectorAll('style, link[rel="stylesheet"]')) {
      current.add(node);
      let clone = this.clones.get(node);
      if (!clone) {
        clone = node.cloneNode(true) as HTMLElement;
        host.append(clone);
        this.clones.set(node, clone);
      }
      if (node instanceof HTMLStyleElement) {
        const text = styleText(node);
        if (clone.textContent !== text) clone.textContent = text;
      }
    }
    for (const [node, clone] of this.clones) {
      if (!current.has(node)) {
        clone.remove();
        this.clones.delete(node);
      }
    }
  };
}

/** A style element's CSS, including rules added through the CSSOM (which textContent misses). */
function styleText(style: HTMLStyleElement): string {
  try {
    const rules = style.sheet?.cssRules;
    if (rules && rules.length) return Array.from(rules, (r) => r.cssText).join('\n');
  } catch {
    // A cross-origin sheet cannot be read; its text is all there is.
  }
  return style.textContent ?? '';
}
