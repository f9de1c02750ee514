/**
 * SHA-256 of a string's UTF-8 bytes, as lowercase hex, by Web Crypto (`crypto.subtle.digest`),
 * which the page (a secure context, as WebGPU needs) and Node both have: the benchmark card's
 * kernel hashes.
 */
export async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, '0')).join('');
}
