// Previews of media values (a thumbnail, a poster frame and length, or an audio length), made
// by the kernel and kept per widget model: each value is asked for once with a `preview`
// message; the answer's buffer becomes a Blob URL. The browser never fetches an input itself
// (a URL on the API's origin needs the key, which stays in the kernel).

/**
 * @typedef {{state: "pending"} | {state: "ready", info: object, url: string | null}
 *           | {state: "error", error: string}} PreviewEntry
 */

export class PreviewCache {
  /** @param {{urls?: {createObjectURL(b: Blob): string, revokeObjectURL(u: string): void}}} [o] */
  constructor({ urls = URL } = {}) {
    /** @type {Map<string, PreviewEntry>} */
    this.entries = new Map();
    this.urls = urls;
  }

  /** The entry for `value`, asking the kernel once (`send` is `model.send`). */
  request(value, send) {
    const key = String(value);
    const known = this.entries.get(key);
    if (known) return known;
    const entry = { state: "pending" };
    this.entries.set(key, entry);
    send({ type: "preview", value: key });
    return entry;
  }

  /** Take a kernel `preview` message; returns the value whose entry changed, or null. */
  receive(content, buffers) {
    const key = typeof content?.value === "string" ? content.value : null;
    if (key === null) return null;
    const old = this.entries.get(key);
    if (old?.url) this.urls.revokeObjectURL(old.url);
    if (content.error) {
      this.entries.set(key, { state: "error", error: String(content.error) });
      return key;
    }
    const { type: _type, value: _value, mime, ...info } = content;
    const bytes = buffers?.[0];
    const url = bytes && mime ? this.urls.createObjectURL(new Blob([bytes], { type: mime })) : null;
    this.entries.set(key, { state: "ready", info, url });
    return key;
  }

  clear() {
    for (const entry of this.entries.values()) if (entry.url) this.urls.revokeObjectURL(entry.url);
    this.entries.clear();
  }
}
