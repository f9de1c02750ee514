/**
 * The built-in model's files (src/assets/model, made by `npm run train-model`), fetched from the
 * page's own assets: nothing from elsewhere. They go through the same loader as a user's checkpoint.
 */
import modelUrl from '../assets/model/model.safetensors?url';
import configUrl from '../assets/model/config.json?url';
import tokenizerUrl from '../assets/model/tokenizer.json?url';
import tokenizerConfigUrl from '../assets/model/tokenizer_config.json?url';
import rolesUrl from '../assets/model/roles.json?url';

const BUILTIN: [string, string][] = [
  ['model.safetensors', modelUrl],
  ['config.json', configUrl],
  ['tokenizer.json', tokenizerUrl],
  ['tokenizer_config.json', tokenizerConfigUrl],
  ['roles.json', rolesUrl],
];

export async function builtinModelFiles(fetchFn: typeof fetch = fetch): Promise<{ name: string; bytes: Uint8Array }[]> {
  return Promise.all(
    BUILTIN.map(async ([name, url]) => {
      const response = await fetchFn(url);
      if (!response.ok) throw new Error(`the built-in model's ${name} could not be fetched (HTTP ${response.status})`);
      return { name, bytes: new Uint8Array(await response.arrayBuffer()) };
    }),
  );
}
