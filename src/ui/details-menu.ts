/**
 * Menus built on <details data-menu> (the native element gives opening by click, Enter and Space,
 * and the summary's expanded state to screen readers). This controller adds what a menu also needs:
 * it closes on Escape (focus back on its summary), on a click outside, when focus leaves it, and
 * when an item is chosen (`close`). The host renders `@keydown=${menus.onKeydown}` and
 * `@focusout=${menus.onFocusOut}` on each menu.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';

export class DetailsMenus implements ReactiveController {
  constructor(private readonly host: ReactiveControllerHost & { renderRoot: HTMLElement | DocumentFragment }) {
    host.addController(this);
  }

  hostConnected(): void {
    document.addEventListener('pointerdown', this.onPointerDown, true);
  }

  hostDisconnected(): void {
    document.removeEventListener('pointerdown', this.onPointerDown, true);
  }

  /** Closes the menu `from` (an item in it) is in; focus goes back to its summary, not to the page's top. */
  close(from: EventTarget | null): void {
    const menu = (from as Element | null)?.closest?.('details');
    if (!menu) return;
    menu.querySelector('summary')?.focus();
    menu.open = false;
  }

  onKeydown = (event: KeyboardEvent): void => {
    const menu = event.currentTarget as HTMLDetailsElement;
    if (event.key !== 'Escape' || !menu.open) return;
    event.stopPropagation();
    menu.open = false;
    menu.querySelector('summary')?.focus();
  };

  /** Focus moved outside the menu (Tab past its last item, a click elsewhere). */
  onFocusOut = (event: FocusEvent): void => {
    const menu = event.currentTarget as HTMLDetailsElement;
    const next = event.relatedTarget as Node | null;
    // null: focus went nowhere focusable; a click on the menu's own padding focuses its panel (tabindex=-1) instead.
    if (!next || !menu.contains(next)) menu.open = false;
  };

  private onPointerDown = (event: PointerEvent): void => {
    const path = event.composedPath();
    for (const menu of this.host.renderRoot.querySelectorAll<HTMLDetailsElement>('details[data-menu][open]'))
      if (!path.includes(menu)) menu.open = false;
  };
}
