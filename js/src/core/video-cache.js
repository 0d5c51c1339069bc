// Video bytes from the kernel, as Blob URLs, per widget model (shared by all its views).
// A video is asked for when a card is played, at most `maxInFlight` at a time (the rest
// wait their turn); at most `capacity` are kept, the least recently used revoked first (its
// card shows the poster again). The URLs are revoked a little after the last view closes (a
// quick re-render, e.g. a hot reload, reuses them instead of asking again).

/**
 * @typedef {{state: "pending"} | {state: "ready", url: string, name: string}
 *           | {state: "error", error: string}} VideoEntry
 */

export const REVOKE_GRACE_MS = 1500;
export const VIDEO_CAPACITY = 8;
export const VIDEOS_IN_FLIGHT = 3;

export class VideoCache {
  /**
   * @param {{graceMs?: number, urls?: {createObjectURL(b: Blob): string,
   *          revokeObjectURL(u: string): void}}} [options]
   */
  constructor({
    graceMs = REVOKE_GRACE_MS,
    urls = URL,
    capacity = VIDEO_CAPACITY,
    maxInFlight = VIDEOS_IN_FLIGHT,
  } = {}) {
    /** @type {Map<string, VideoEntry>} in use order: least recently used first */
    this.entries = new Map();
    this.capacity = capacity;
    this.maxInFlight = maxInFlight;
    this.inFlight = new Set();
    /** @type {{id: string, send: Function}[]} */
    this.waiting = [];
    this.views = 0;
    this.graceMs = graceMs;
    this.urls = urls;
    this.revokeTimer = null;
  }

  /** The entry for `jobId`, or undefined when never asked for. */
  get(jobId) {
    return this.entries.get(String(jobId));
  }

  /** Mark a video as just used (played), so it is the last to be revoked. */
  touch(jobId) {
    const id = String(jobId);
    const entry = this.entries.get(id);
    if (!entry) return;
    this.entries.delete(id);
    this.entries.set(id, entry);
  }

  /** Ask the kernel for the video once (`send` is `model.send`); later calls do nothing. */
  request(jobId, send) {
    const id = String(jobId);
    if (this.entries.has(id)) {
      this.touch(id);
      return this.entries.get(id);
    }
    const entry = { state: "pending" };
    this.entries.set(id, entry);
    this.waiting.push({ id, send });
    this.pump();
    return entry;
  }

  /** Send waiting requests while fewer than `maxInFlight` are on their way. */
  pump() {
    while (this.inFlight.size < this.maxInFlight && this.waiting.length) {
      const { id, send } = this.waiting.shift();
      if (this.entries.get(id)?.state !== "pending") continue;
      this.inFlight.add(id);
      send({ type: "video", job_id: id });
    }
  }

  /** Revoke the least recently used videos beyond `capacity`; returns their ids. */
  evict(keep) {
    const ready = [...this.entries].filter(([, e]) => e.state === "ready");
    const evicted = [];
    for (const [id] of ready.slice(0, Math.max(0, ready.length - this.capacity))) {
      if (id === keep) continue;
      this.forget(id);
      evicted.push(id);
    }
    return evicted;
  }

  /** Forget a job's entry (after an error, so the next request asks again). */
  forget(jobId) {
    const id = String(jobId);
    const old = this.entries.get(id);
    if (old?.url) this.urls.revokeObjectURL(old.url);
    this.entries.delete(id);
  }

  /**
   * Take a kernel message. Returns the job ids whose entries changed (the video's, and any
   * revoked to make room): empty when the message was not about a video (or nobody is left
   * to show it).
   */
  receive(content, buffers) {
    if (!content || (content.type !== "video" && content.type !== "video_error")) return [];
    const id = String(content.job_id);
    this.inFlight.delete(id);
    this.pump();
    if (content.type === "video_error") {
      this.forgetUrl(id);
      this.entries.set(id, { state: "error", error: String(content.error || "unknown error") });
      return [id];
    }
    if (this.views === 0) {
      this.entries.delete(id); // nobody to show it; the next view asks again
      return [];
    }
    const data = buffers?.[0];
    this.forgetUrl(id);
    if (!data?.byteLength) {
      this.entries.set(id, { state: "error", error: "the kernel sent no video bytes" });
    } else {
      const blob = new Blob([data], { type: content.mime || "video/mp4" });
      const url = this.urls.createObjectURL(blob);
      this.entries.delete(id);
      this.entries.set(id, { state: "ready", url, name: content.name || `${id}.mp4` });
    }
    return [id, ...this.evict(id)];
  }

  forgetUrl(id) {
    const old = this.entries.get(id);
    if (old?.url) this.urls.revokeObjectURL(old.url);
  }

  /** A view opened: keep the URLs. */
  viewOpened() {
    this.views += 1;
    if (this.revokeTimer !== null) {
      clearTimeout(this.revokeTimer);
      this.revokeTimer = null;
    }
  }

  /** A view closed: revoke everything a little after the last one goes. */
  viewClosed() {
    this.views = Math.max(0, this.views - 1);
    if (this.views > 0) return;
    this.revokeTimer = setTimeout(() => {
      this.revokeTimer = null;
      if (this.views === 0) this.clear();
    }, this.graceMs);
  }

  /** Revoke every URL and forget every entry. */
  clear() {
    for (const entry of this.entries.values()) {
      if (entry.url) this.urls.revokeObjectURL(entry.url);
    }
    this.entries.clear();
    this.inFlight.clear();
    this.waiting = [];
  }
}
