// Video bytes from the kernel, as Blob URLs, per widget model (shared by all its views).
// A job's video is asked for once; the URLs are revoked a little after the last view closes
// (a quick re-render, e.g. a hot reload, reuses them instead of asking again).

/**
 * @typedef {{state: "pending"} | {state: "ready", url: string, name: string}
 *           | {state: "error", error: string}} VideoEntry
 */

export const REVOKE_GRACE_MS = 1500;

export class VideoCache {
  /**
   * @param {{graceMs?: number, urls?: {createObjectURL(b: Blob): string,
   *          revokeObjectURL(u: string): void}}} [options]
   */
  constructor({ graceMs = REVOKE_GRACE_MS, urls = URL } = {}) {
    /** @type {Map<string, VideoEntry>} */
    this.entries = new Map();
    this.views = 0;
    this.graceMs = graceMs;
    this.urls = urls;
    this.revokeTimer = null;
  }

  /** The entry for `jobId`, or undefined when never asked for. */
  get(jobId) {
    return this.entries.get(String(jobId));
  }

  /** Ask the kernel for the video once (`send` is `model.send`); later calls do nothing. */
  request(jobId, send) {
    const id = String(jobId);
    if (this.entries.has(id)) return this.entries.get(id);
    const entry = { state: "pending" };
    this.entries.set(id, entry);
    send({ type: "video", job_id: id });
    return entry;
  }

  /** Forget a job's entry (after an error, so the next request asks again). */
  forget(jobId) {
    const id = String(jobId);
    const old = this.entries.get(id);
    if (old?.url) this.urls.revokeObjectURL(old.url);
    this.entries.delete(id);
  }

  /**
   * Take a kernel message. Returns the job id whose entry changed, or null when the message
   * was not about a video (or nobody is left to show it).
   */
  receive(content, buffers) {
    if (!content || (content.type !== "video" && content.type !== "video_error")) return null;
    const id = String(content.job_id);
    if (content.type === "video_error") {
      this.forgetUrl(id);
      this.entries.set(id, { state: "error", error: String(content.error || "unknown error") });
      return id;
    }
    if (this.views === 0) {
      this.entries.delete(id); // nobody to show it; the next view asks again
      return null;
    }
    const data = buffers?.[0];
    this.forgetUrl(id);
    if (!data?.byteLength) {
      this.entries.set(id, { state: "error", error: "the kernel sent no video bytes" });
    } else {
      const blob = new Blob([data], { type: content.mime || "video/mp4" });
      const url = this.urls.createObjectURL(blob);
      this.entries.set(id, { state: "ready", url, name: content.name || `${id}.mp4` });
    }
    return id;
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
  }
}
