// Shareable links: the whole state, as JSON, deflated (CompressionStream, built into
// browsers and Node) and base64url-encoded into the URL fragment, which never leaves
// the browser. `s1.` versions the format.
const PREFIX = "s1.";

async function pipe(bytes, transform) {
  const stream = new Blob([bytes]).stream().pipeThrough(transform);
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

function toBase64Url(bytes) {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

function fromBase64Url(text) {
  const binary = atob(text.replaceAll("-", "+").replaceAll("_", "/"));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

/** The fragment (without `#`) that restores `state`. */
export async function encodeState(state) {
  const json = new TextEncoder().encode(JSON.stringify(state));
  return PREFIX + toBase64Url(await pipe(json, new CompressionStream("deflate-raw")));
}

/** The state a fragment holds; throws on anything else. */
export async function decodeState(fragment) {
  const text = fragment.replace(/^#/, "");
  if (!text.startsWith(PREFIX)) throw new Error("not a simulator link");
  const bytes = await pipe(fromBase64Url(text.slice(PREFIX.length)), new DecompressionStream("deflate-raw"));
  return JSON.parse(new TextDecoder().decode(bytes));
}

/** Links from the bot's details pages: `#case=` and the case file as base64url JSON. */
export const CASE_PREFIX = "case=";

/** The case text (JSON, which is YAML) a `#case=` fragment carries; throws on anything else. */
export function decodeCaseFragment(fragment) {
  const text = fragment.replace(/^#/, "");
  if (!text.startsWith(CASE_PREFIX)) throw new Error("not a case link");
  return new TextDecoder().decode(fromBase64Url(text.slice(CASE_PREFIX.length)));
}
