// The media of a job: its poster with a play button until it is played, then a <video> from
// the video cache's Blob URL; or a placeholder saying why there is none yet. Used by the job
// cards, the compare panel and the gallery. Video bytes are asked for only on play.

import { button, h, playQuietly } from "../util/dom.js";
import { orientation, shorten } from "../util/format.js";

/**
 * The media state of `job`: null before it has a video, else the video's entry in the
 * cache (`state: "pending" | "ready" | "error"`), or `{state: "poster"}` when not asked yet.
 * @param {object | undefined} job
 * @param {import("../core/video-cache.js").VideoCache} videos
 */
export function videoEntry(job, videos) {
  if (job?.status !== "succeeded" || !job.video) return null;
  return videos.get(job.id) || { state: "poster" };
}

/** A key that changes exactly when the player for `job` must be rebuilt. */
export function mediaKeyOf(job, entry, posterUrl = null) {
  if (!entry) return `none|${job ? job.status : ""}|${job?.error || ""}`;
  return `${entry.state}|${entry.url || ""}|${entry.error || ""}|${posterUrl || ""}`;
}

/**
 * A <video>, a poster to play, or a placeholder for `job`.
 * @param {object} options
 * @param {string | null} [options.testid] only the job cards' players carry one
 * @param {(o: string) => void} [options.onOrient] told the video's orientation once known
 * @param {boolean} [options.compact] the small placeholder of gallery and compare cells
 * @param {boolean} [options.busy] the job is still running (a spinner)
 * @param {() => void} [options.onRetry] a failed load offers a Retry button
 * @param {string | null} [options.poster] the poster's URL, when here
 * @param {() => void} [options.onPlay] the poster's play button (asks for the video)
 * @param {boolean} [options.autoplay] play once loaded (the user pressed play)
 * @param {(video: HTMLVideoElement) => void} [options.onVideo] told of the <video> made
 */
export function buildPlayer(job, entry, options = {}) {
  const { compact = false, busy = false } = options;
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
  if (entry.state === "ready") return videoElement(job, entry, options);
  if (entry.state === "error") {
    return h(
      "div",
      { class: `${placeholder} sdw-video-failed` },
      h("span", { text: `Video unavailable: ${entry.error}` }),
      options.onRetry
        ? button({ class: "sdw-btn sdw-btn-small", text: "Retry", onclick: options.onRetry })
        : null,
    );
  }
  return posterButton(job, entry, options, placeholder);
}

function videoElement(job, entry, options) {
  const video = h("video", {
    class: "sdw-video",
    "data-testid": options.testid || null,
    controls: true,
    playsinline: true,
    preload: "auto",
    poster: options.poster || null,
    src: entry.url,
    "data-job-id": job.id,
  });
  if (options.onOrient) {
    video.addEventListener("loadedmetadata", () => {
      if (video.videoWidth && video.videoHeight) {
        options.onOrient(orientation(video.videoWidth, video.videoHeight));
      }
    });
  }
  if (options.autoplay) playQuietly(video);
  options.onVideo?.(video);
  return video;
}

/** The poster (or its placeholder) under a play button; pending: a spinner over it. */
function posterButton(job, entry, options, placeholder) {
  const loading = entry.state === "pending";
  const image = options.poster
    ? h("img", {
        class: "sdw-poster-img",
        "data-testid": "poster",
        src: options.poster,
        alt: "",
        draggable: "false",
      })
    : h("span", { class: `${placeholder} sdw-poster-blank` });
  if (options.poster && options.onOrient) {
    image.addEventListener("load", () => {
      if (image.naturalWidth && image.naturalHeight) {
        options.onOrient(orientation(image.naturalWidth, image.naturalHeight));
      }
    });
  }
  return button(
    {
      class: `sdw-poster${options.compact ? " sdw-compact" : ""}`,
      "data-testid": options.testid ? `${options.testid.replace(/-video$/, "")}-play` : "play",
      "data-job-id": job.id,
      "aria-label": loading ? "Loading video…" : "Play video",
      title: loading ? "Loading video…" : "Play",
      "aria-busy": loading ? "true" : null,
      onclick: () => {
        if (!loading) options.onPlay?.();
      },
    },
    image,
    h(
      "span",
      { class: "sdw-play-icon", "aria-hidden": "true" },
      loading ? h("span", { class: "sdw-spinner" }) : null,
    ),
  );
}
