// The media of a job: a <video> from the cache's Blob URL, or a placeholder saying why there
// is none yet. Used by the job cards, the compare panel and the gallery.

import { button, h } from "../util/dom.js";
import { orientation, shorten } from "../util/format.js";

/**
 * The video entry of a finished job (asking the kernel for it once), else null.
 * @param {object | undefined} job
 * @param {import("../core/video-cache.js").VideoCache} videos
 * @param {(content: object) => void} send
 */
export function videoEntry(job, videos, send) {
  if (job?.status !== "succeeded" || !job.video) return null;
  return videos.request(job.id, send);
}

/** A key that changes exactly when the player for `job` must be rebuilt. */
export function mediaKeyOf(job, entry) {
  if (!entry) return `none|${job ? job.status : ""}|${job?.error || ""}`;
  return `${entry.state}|${entry.url || ""}|${entry.error || ""}`;
}

/**
 * A <video> (or a placeholder) for `job`.
 * @param {object} options
 * @param {string | null} [options.testid] only the job cards' players carry one
 * @param {(o: string) => void} [options.onOrient] told the video's orientation once known
 * @param {boolean} [options.compact] the small placeholder of gallery and compare cells
 * @param {boolean} [options.busy] the job is still running (a spinner)
 * @param {() => void} [options.onRetry] a failed load offers a Retry button
 */
export function buildPlayer(job, entry, options = {}) {
  const { testid = null, onOrient = null, compact = false, busy = false, onRetry = null } = options;
  const placeholder = `sdw-video-placeholder${compact ? " sdw-compact" : ""}`;
  if (!entry) {
    const status = job ? String(job.status || "") : "missing";
    const text = job ? (job.error ? shorten(job.error, 90) : status) : "not in this studio";
    return h(
      "div",
      { class: placeholder, "data-status": status },
      busy ? h("span", { class: "sdw-spinner", "aria-hidden": "true" }) : null,
      h("span", { text }),
    );
  }
  if (entry.state === "ready") {
    const video = h("video", {
      class: "sdw-video",
      "data-testid": testid,
      controls: true,
      playsinline: true,
      preload: "auto",
      src: entry.url,
      "data-job-id": job.id,
    });
    if (onOrient) {
      video.addEventListener("loadedmetadata", () => {
        if (video.videoWidth && video.videoHeight) {
          onOrient(orientation(video.videoWidth, video.videoHeight));
        }
      });
    }
    return video;
  }
  if (entry.state === "error") {
    return h(
      "div",
      { class: `${placeholder} sdw-video-failed` },
      h("span", { text: `Video unavailable: ${entry.error}` }),
      onRetry ? button({ class: "sdw-btn sdw-btn-small", text: "Retry", onclick: onRetry }) : null,
    );
  }
  return h(
    "div",
    { class: placeholder },
    h("span", { class: "sdw-spinner", "aria-hidden": "true" }),
    h("span", { text: "Loading video…" }),
  );
}
