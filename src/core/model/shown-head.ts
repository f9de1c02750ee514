/**
 * The layer and head model mode shows for the state's model.layer and model.head. A link or a saved
 * state made with a bigger model can name a layer or head the chosen model does not have: the view
 * then shows the model's last one and says so, naming the field, while the state keeps what it
 * named (a link stays as it was sent) until a head is chosen.
 */
import type { ModelState } from '../state';

export interface ShownHead {
  layer: number;
  head: number;
  /** Why the head shown is not the one the state names (in words, naming the field); null when it is. */
  note: string | null;
}

export function shownHead(chosen: Pick<ModelState, 'layer' | 'head'>, layers: number, heads: number): ShownHead {
  const layer = Math.min(chosen.layer, layers - 1);
  const head = Math.min(chosen.head, heads - 1);
  const past = (what: string, field: string, asked: number, count: number, scope: string, shown: number) =>
    `${what} ${asked} (${field}) is past this model's ${count} ${what.toLowerCase()}${count === 1 ? '' : 's'}${scope} (0 to ${count - 1}): showing ${what.toLowerCase()} ${shown}`;
  const notes = [
    layer !== chosen.layer && past('Layer', 'model.layer', chosen.layer, layers, '', layer),
    head !== chosen.head && past('Head', 'model.head', chosen.head, heads, ' per layer', head),
  ].filter((n): n is string => !!n);
  return { layer, head, note: notes.length ? `${notes.join('. ')}. Click a head in the grid to show another.` : null };
}
