/**
 * A head's card in a grid of heads (<attn-head-grid>, <attn-model-grid>): a click on the card, or
 * a cell of its map clicked or chosen with Enter (a CellClickEvent: the keyboard's way in, as the
 * cards are not in the Tab order but their maps are), selects the head. The map's own controls —
 * its PNG button, its values table's toggle — only do their own job.
 */

/** What a click inside a card may press without selecting the head. */
const CONTROLS = 'button, summary, a[href], input, select, textarea';

/** Whether a click on a card (the listener's currentTarget) pressed a control inside it. */
function pressedControl(event: Event): boolean {
  const path = event.composedPath();
  const card = event.currentTarget ? path.indexOf(event.currentTarget) : -1;
  return path.slice(0, card < 0 ? path.length : card).some((node) => node instanceof Element && node.matches(CONTROLS));
}

/** The card's `@click` listener: selects the head, unless the click pressed one of the card's controls. */
export function selectOnCardClick(select: () => void): (event: Event) => void {
  return (event) => {
    if (!pressedControl(event)) select();
  };
}
