/**
 * A fetch over a table of URL → bytes, for the model loader's URL tests: 404 Not Found for every
 * other URL; each URL asked for is pushed to `seen`.
 */
export function tableFetch(table: Record<string, Uint8Array>, seen: string[] = []): typeof fetch {
  return ((input: RequestInfo | URL) => {
    const url = String(input);
    seen.push(url);
    const body = table[url];
    return Promise.resolve(body ? new Response(body.slice()) : new Response('no', { status: 404, statusText: 'Not Found' }));
  }) as typeof fetch;
}
