/** Errors that name what is wrong with the user's input, for the CLI (exit 2) and the page. */
export class InputError extends Error {
  override readonly name = 'InputError';
}
