// Per-model state shared by every view of one widget model: the jobs (a feed mirrored from
// the kernel), the poster and video caches, the last code export, and the fan-out of kernel
// messages to the views that are open.

import { ChunkedUploads } from "./chunked-upload.js";
import { createFeed, newestFirst } from "./feed.js";
import { PosterCache } from "./poster-cache.js";
import { PreviewCache } from "./previews.js";
import { VideoCache } from "./video-cache.js";

/**
 * @typedef {{flavour: string, text: string, inserted: boolean, reason: string}} CodeReply
 * @typedef {{type: "video", job_id: string} | {type: "poster", job_id: string}
 *           | {type: "code", code: CodeReply} | {type: "preview", value: string}} ViewEvent
 */

export function createModelState({
  videos = new VideoCache(),
  previews = new PreviewCache(),
  uploads = new ChunkedUploads(),
  posters = new PosterCache(),
  jobs = createFeed("jobs", { order: newestFirst }),
} = {}) {
  /** @type {Set<(event: ViewEvent) => void>} */
  const listeners = new Set();
  /** @type {CodeReply | null} */
  let lastCode = null;

  function notify(event) {
    for (const listener of [...listeners]) {
      try {
        listener(event);
      } catch (err) {
        console.error("[seedance-studio]", err);
      }
    }
  }

  return {
    videos,
    previews,
    uploads,
    posters,
    jobs,
    lastCode: () => lastCode,

    /** Hear kernel messages; returns the unsubscribe function. */
    listen(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },

    /** The model is up: ask the kernel for the whole state of every feed (a model restored
     * from a saved notebook without a kernel has nobody to ask: its feeds stay unsynced). */
    start(model) {
      try {
        model.send({ type: "sync", topic: jobs.topic });
      } catch (err) {
        console.warn("[seedance-studio] no kernel to ask for the jobs:", err);
      }
    },

    /** anywidget's `msg:custom` handler. */
    onMessage(content, buffers) {
      if (!content || typeof content !== "object") return;
      if (jobs.receive(content)) return;
      if (content.type === "video" || content.type === "video_error") {
        for (const id of videos.receive(content, buffers)) notify({ type: "video", job_id: id });
      } else if (content.type === "poster" || content.type === "poster_error") {
        const id = posters.receive(content, buffers);
        if (id !== null) notify({ type: "poster", job_id: id });
      } else if (content.type === "preview") {
        const value = previews.receive(content, buffers);
        if (value !== null) notify({ type: "preview", value });
      } else if (uploads.receive(content)) {
        // progress reaches the media controls through `uploads.listen`
      } else if (content.type === "code") {
        lastCode = {
          flavour: String(content.flavour ?? ""),
          text: String(content.text ?? ""),
          inserted: Boolean(content.inserted),
          reason: String(content.reason ?? ""),
        };
        notify({ type: "code", code: lastCode });
      }
    },
  };
}
