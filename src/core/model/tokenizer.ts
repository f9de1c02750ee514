/**
 * What the model view needs of a tokenizer, whatever built it (a Hugging Face tokenizer.json, a GGUF
 * file's vocabulary): text → ids, ids → text, and each token's text for the chips.
 */
export interface ModelTokenizer {
  /** Ids of the text, with the beginning-of-sequence token first when the model expects one. */
  encode(text: string): number[];
  /** The text of a run of ids (special tokens left out). */
  decode(ids: readonly number[]): string;
  /** One token as the page shows it on a chip ("▁cat" and "Ġcat" shown as " cat"). */
  tokenText(id: number): string;
  readonly vocabSize: number;
  readonly bos: number | null;
  readonly eos: number | null;
}
