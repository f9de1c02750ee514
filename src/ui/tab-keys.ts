/**
 * The WAI-ARIA tab pattern's keyboard for a `role="tablist"` of buttons: one tab in the Tab order
 * (the selected one, `tabindex="0"`; the others `-1`), Left/Right move to the previous/next tab
 * (wrapping), Home/End to the first/last, and the tab moved to is activated (clicked) at once —
 * every tablist in the page follows it through this one handler.
 * https://www.w3.org/WAI/ARIA/apg/patterns/tabs/
 */

const MOVES: Partial<Record<string, (index: number, count: number) => number>> = {
  ArrowLeft: (i, n) => (i - 1 + n) % n,
  ArrowRight: (i, n) => (i + 1) % n,
  Home: () => 0,
  End: (_, n) => n - 1,
};

/** Where a key moves focus in a tablist of `count` tabs from `index`; null for keys the pattern leaves alone. */
export function tabKeyTarget(key: string, index: number, count: number): number | null {
  const move = MOVES[key];
  return move && count > 0 ? move(index, count) : null;
}

/** A keydown handler for the tablist element (attach with `@keydown`): focuses and clicks the tab the key moves to. */
export function onTablistKeydown(event: KeyboardEvent): void {
  const list = event.currentTarget as HTMLElement;
  const tabs = [...list.querySelectorAll<HTMLElement>('[role="tab"]')].filter((t) => !(t as HTMLButtonElement).disabled);
  const index = tabs.indexOf(event.target as HTMLElement);
  const target = index < 0 ? null : tabKeyTarget(event.key, index, tabs.length);
  if (target === null) return;
  event.preventDefault();
  tabs[target].focus();
  tabs[target].click();
}

/** The roving tabindex of a tab: in the Tab order only when selected. */
export function tabIndexFor(selected: boolean): string {
  return selected ? '0' : '-1';
}
