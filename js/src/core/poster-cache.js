// Poster frames from the kernel (small JPEGs, `poster` messages), as Blob URLs, per widget
// model. Cards and gallery cells ask for the posters they show; the asks of one moment go
// out as one `{type: "posters", job_ids}` message. At most `capacity` are kept, the least
// recently shown revoked first (a card that scrolls back asks again).

export const POSTER_CAPACITY = 600;

export class PosterCache {
  /**
   * @param {{capacity?: number, urls?: {createObjectURL(b: Blob): string,
   *          revokeObjectURL(u: string): void}, defer?: (fn: () => void) => void}} [options]
   */
  constructor({ capacity = POSTER_CAPACITY, urls = URL, defer = queueMicrotask } = {}) {
    /** @type {Map<string, {state: "pending"} | {state: "ready", url: string} |
     *               {state: "error"}>} least recently used first */
    this.entries = new Map();
    this.capacity = capacity;
    this.urls = urls;
    this.defer = (fn) => defer(fn); // a bare call: queueMicrotask refuses another `this`
    /** @type {string[]} */
    this.batch = [];
    this.send = null;
  }

  /** The poster's URL if it is here (marking it used), else null. */
  url(jobId) {
    const id = String(jobId);
    const entry = this.entries.get(id);
    if (entry?.state !== "ready") return null;
    this.entries.delete(id);
    this.entries.set(id, entry);
    return entry.url;
  }

  /** Ask for the poster of `jobId` unless it is here or on its way. */
  want(jobId, send) {
    const id = String(jobId);
    if (this.entries.has(id)) return;
    this.entries.set(id, { state: "pending" });
    this.batch.push(id);
    this.send = send;
    if (this.batch.length === 1) this.defer(() => this.flush());
  }

  flush() {
    if (!this.batch.length || !this.send) return;
    const ids = this.batch;
    this.batch = [];
    this.send({ type: "posters", job_ids: ids });
  }

  /** Take a kernel message; returns the job id whose poster arrived (or failed), or null. */
  receive(content, buffers) {
    if (content?.type !== "poster" && content?.type !== "poster_error") return null;
    const id = String(content.job_id);
    this.drop(id);
    const data = buffers?.[0];
    if (content.type === "poster_error" || !data?.byteLength) {
      this.entries.set(id, { state: "error" });
      return id;
    }
    const blob = new Blob([data], { type: content.mime || "image/jpeg" });
    this.entries.set(id, { state: "ready", url: this.urls.createObjectURL(blob) });
    for (const [old, entry] of this.entries) {
      if (this.entries.size <= this.capacity) break;
      if (entry.state === "pending") continue;
      this.drop(old);
    }
    return id;
  }

  drop(id) {
    const entry = this.entries.get(id);
    if (entry?.url) this.urls.revokeObjectURL(entry.url);
    this.entries.delete(id);
  }

  /** Revoke every URL and forget every entry. */
  clear() {
    for (const id of [...this.entries.keys()]) this.drop(id);
    this.batch = [];
  }
}
