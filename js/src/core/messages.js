// Per-model state shared by every view of one widget model: the video cache, the last code
// export, and the fan-out of kernel messages to the views that are open.

import { ChunkedUploads } from "./chunked-upload.js";
import { PreviewCache } from "./previews.js";
import { VideoCache } from "./video-cache.js";

/**
 * @typedef {{flavour: string, text: string, inserted: boolean}} CodeReply
 * @typedef {{type: "video", job_id: string} | {type: "code", code: CodeReply}
 *           | {type: "preview", value: string}} ViewEvent
 */

export function createModelState({
  videos = new VideoCache(),
  previews = new PreviewCache(),
  uploads = new ChunkedUploads(),
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
    lastCode: () => lastCode,

    /** Hear kernel messages; returns the unsubscribe function. */
    listen(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },

    /** anywidget's `msg:custom` handler. */
    onMessage(content, buffers) {
      if (!content || typeof content !== "object") return;
      if (content.type === "video" || content.type === "video_error") {
        const id = videos.receive(content, buffers);
        if (id !== null) notify({ type: "video", job_id: id });
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
        };
        notify({ type: "code", code: lastCode });
      }
    },
  };
}
