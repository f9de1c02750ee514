/**
 * Generated token ids belong to the model that generated them: the one the state names
 * (state.model.source). The model shown is another one after a reload or a link (a file must be
 * chosen again, a URL is not fetched until Load: the built-in model stands in meanwhile) or after an
 * Undo past a model switch the page cannot undo (ModelController.show brings back the model shown
 * before the last switch, or the built-in one; not an older file). That model then runs on the text only: the ids are set aside, kept in
 * the state, and run again once the model they belong to is loaded. Generate is off meanwhile, so
 * the state never mixes two models' ids.
 */
import type { ModelSourceState, ModelState } from '../state';

/**
 * Whether the loaded model is the one the state names: both built-in, the same URL, or the same
 * files (names, and sizes where the state kept them; in any order).
 */
export function sameModelSource(named: ModelSourceState, loaded: ModelSourceState): boolean {
  if (named.kind === 'builtin' || loaded.kind === 'builtin') return named.kind === loaded.kind;
  if (named.kind === 'url' || loaded.kind === 'url') return named.kind === 'url' && loaded.kind === 'url' && named.url === loaded.url;
  if (named.names.length !== loaded.names.length) return false;
  const withSizes = named.sizes !== undefined && loaded.sizes !== undefined;
  const files = (s: typeof named) => s.names.map((name, i) => JSON.stringify([name, withSizes ? s.sizes![i] : null])).sort();
  return files(named).join() === files(loaded).join();
}

/** Why the state's generated ids are not run: another model is shown, or they do not fit the one shown. */
export type SetAsideReason = 'another-model' | 'outside-vocabulary';

export interface GeneratedTokens {
  /** The generated ids a run of the loaded model takes after the text. */
  run: number[];
  /** How many of the state's generated ids are not run, and why; null when none are. */
  setAside: { count: number; reason: SetAsideReason } | null;
  /** Whether Generate may add the loaded model's tokens to the state's. */
  canGenerate: boolean;
}

/**
 * The generated ids the loaded model runs: the state's, when the loaded model is the one that made
 * them and every id is in its vocabulary (a file of the same name and size could still be another
 * model); none otherwise.
 */
export function generatedTokens(
  model: Pick<ModelState, 'source' | 'generated'>,
  loaded: ModelSourceState,
  vocabSize: number,
): GeneratedTokens {
  const { generated } = model;
  if (!sameModelSource(model.source, loaded))
    return { run: [], setAside: generated.length ? { count: generated.length, reason: 'another-model' } : null, canGenerate: false };
  if (generated.some((id) => id >= vocabSize))
    return { run: [], setAside: { count: generated.length, reason: 'outside-vocabulary' }, canGenerate: false };
  return { run: generated, setAside: null, canGenerate: true };
}

/** "the built-in model", "the model at URL", "a.gguf" / "m.safetensors, config.json". */
function sourceName(source: ModelSourceState): string {
  if (source.kind === 'builtin') return 'the built-in model';
  if (source.kind === 'url') return `the model at ${source.url}`;
  return source.names.join(', ');
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function tokenCount(count: number): string {
  return count === 1 ? 'the 1 generated token' : `the ${count} generated tokens`;
}

/**
 * The model picker's note when the state and the loaded model disagree: how to load the model the
 * state names, which model is shown meanwhile, and what became of the generated tokens; or when the
 * state's generated ids do not fit the model that should own them. Null when there is nothing to say.
 */
export function modelSourceNote(
  named: ModelSourceState,
  loaded: ModelSourceState,
  tokens: GeneratedTokens,
  vocabSize: number,
): string | null {
  const aside = tokens.setAside;
  if (sameModelSource(named, loaded)) {
    if (!aside) return null;
    const one = aside.count === 1;
    return (
      `${capitalise(tokenCount(aside.count))} saved with this model ${one ? 'does' : 'do'} not fit it (an id is outside its ` +
      `vocabulary of ${vocabSize}): ${one ? 'it is' : 'they are'} set aside and the model runs on your text only. ` +
      `Clear ${one ? 'it' : 'them'} to generate again.`
    );
  }
  const many = named.kind === 'files' && named.names.length > 1;
  const [how, again] =
    named.kind === 'files'
      ? [
          `This state was made with your model file${many ? 's' : ''} (${sourceName(named)}), not open now: a page cannot reopen a file by itself, so choose ${many ? 'them' : 'it'} again.`,
          `you choose ${many ? 'them' : 'it'} again`,
        ]
      : named.kind === 'url'
        ? [`Nothing is downloaded unless you ask: press Load to fetch ${named.url}.`, 'you press Load']
        : ['This state was made with the built-in model: press Built-in model to show it again.', 'you press Built-in model'];
  // A file's name as it is; "the built-in model" starts the sentence.
  const shown = `${loaded.kind === 'files' ? sourceName(loaded) : capitalise(sourceName(loaded))} is shown meanwhile`;
  const setAside = aside
    ? `, on your text only: ${tokenCount(aside.count)} belong${aside.count === 1 ? 's' : ''} to ${sourceName(named)} and come${aside.count === 1 ? 's' : ''} back when ${again}.`
    : '.';
  return `${how} ${shown}${setAside} Generate is off until then.`;
}
