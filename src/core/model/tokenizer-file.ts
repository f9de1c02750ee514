/**
 * The shape of a Hugging Face tokenizer.json, checked before tokenizers.js builds it: a file whose
 * fields have the wrong kinds would otherwise fail inside the library ("text is not iterable",
 * "Cannot read properties of null") instead of saying which field is wrong. Only the structure is
 * checked here; what the library cannot build (an unknown normalizer type, say) it names itself.
 */

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => value !== null && typeof value === 'object' && !Array.isArray(value);

/** "missing", "a number", "a string", "null", "a list", "an object": what a JSON value is, for a message. */
function kindOf(value: unknown): string {
  if (value === undefined) return 'missing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  return typeof value === 'number' || typeof value === 'string' ? `a ${typeof value}` : `${typeof value}`;
}

const isId = (value: unknown) => Number.isInteger(value) && (value as number) >= 0;

/** What is wrong with the model's vocabulary for its type, or null. */
function vocabProblem(model: Json): string | null {
  const { type, vocab } = model;
  if (type === 'Unigram') {
    if (!Array.isArray(vocab)) return `model.vocab is ${kindOf(vocab)}; a Unigram tokenizer's vocab is a list of [piece, score] pairs`;
    const bad = vocab.findIndex((e) => !Array.isArray(e) || typeof e[0] !== 'string' || typeof e[1] !== 'number');
    return bad < 0 ? null : `model.vocab[${bad}] is not a [piece, score] pair`;
  }
  const what = typeof type === 'string' ? `a ${type} tokenizer's` : "the model's";
  if (!isObject(vocab)) return `model.vocab is ${kindOf(vocab)}; ${what} vocab is an object of token: id`;
  const bad = Object.entries(vocab).find(([, id]) => !isId(id));
  if (bad) return `model.vocab gives the token ${JSON.stringify(bad[0])} the id ${JSON.stringify(bad[1])}, not an integer from 0`;
  if (type === 'BPE' && !Array.isArray(model.merges)) return `model.merges is ${kindOf(model.merges)}; a BPE tokenizer lists its merges`;
  return null;
}

/** What is wrong with the structure of a tokenizer.json (parsed), or null when tokenizers.js may try it. */
export function tokenizerJsonProblem(json: unknown): string | null {
  if (!isObject(json)) return null; // the loader says "is not a JSON object"
  const { model } = json;
  if (!isObject(model))
    return model === undefined
      ? 'has no "model" (the tokenizer\'s type and vocabulary)'
      : `"model" is ${kindOf(model)}; it should be an object with the tokenizer's type and vocabulary`;
  if (model.type !== undefined && typeof model.type !== 'string')
    return `model.type is ${kindOf(model.type)}; it should be a name such as "BPE"`;
  const vocab = vocabProblem(model);
  if (vocab) return vocab;
  const added = json.added_tokens;
  if (added !== undefined && added !== null) {
    if (!Array.isArray(added)) return `"added_tokens" is ${kindOf(added)}; it should be a list of tokens`;
    const bad = added.findIndex((t) => !isObject(t) || !isId(t.id) || typeof t.content !== 'string');
    if (bad >= 0) return `added_tokens[${bad}] should be an object with an integer "id" from 0 and a string "content"`;
  }
  for (const part of ['normalizer', 'pre_tokenizer', 'post_processor', 'decoder']) {
    const value = json[part];
    if (value !== undefined && value !== null && !isObject(value))
      return `"${part}" is ${kindOf(value)}; it should be an object with a "type", or null`;
  }
  return null;
}
