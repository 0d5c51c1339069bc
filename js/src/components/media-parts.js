// Pieces of the media controls: the preview tile of one value, the drop zone with its file
// picker, and the progress of the files it sends to the kernel in chunks.

import { button, h, show } from "../util/dom.js";

export const ACCEPT = {
  image: "image/jpeg,image/png,image/webp,.jpg,.jpeg,.png,.webp",
  video: "video/mp4,video/quicktime,.mp4,.mov",
  audio: "audio/wav,audio/mpeg,audio/mp4,.wav,.mp3,.m4a",
};

const NOUN = { image: "an image", video: "a video", audio: "an audio clip" };

/** A value's short name: a URL's or path's last part, its middle cut when long (a checksum). */
export function valueName(value) {
  const text = String(value ?? "");
  const last = text.split("?")[0].split(/[\\/]/).pop() || text;
  return last.length > 32 ? `${last.slice(0, 14)}…${last.slice(-14)}` : last;
}

/** Seconds as "12.3 s" / "1:05". */
function length(seconds) {
  const s = Number(seconds);
  if (!Number.isFinite(s)) return "";
  if (s < 60) return `${s.toFixed(1)} s`;
  return `${Math.floor(s / 60)}:${String(Math.round(s % 60)).padStart(2, "0")}`;
}

/**
 * The tile showing one value: a thumbnail (image), a poster and length (video) or a length
 * (audio), from the kernel's preview; asks for it on first sight.
 * @param {string} value
 * @param {string} medium
 * @param {{previews: import("../core/previews.js").PreviewCache, send: Function}} media
 */
export function previewTile(value, medium, media) {
  const entry = media.previews.request(value, media.send);
  const tile = h("div", {
    class: `sdw-media-tile sdw-media-${medium}`,
    "data-testid": "media-tile",
    "data-state": entry.state,
    title: String(value),
  });
  if (entry.state === "ready" && entry.url) {
    tile.append(h("img", { src: entry.url, alt: valueName(value), "data-testid": "media-thumb" }));
  } else if (entry.state === "ready" && medium === "audio") {
    tile.append(h("span", { class: "sdw-media-glyph", "aria-hidden": "true", text: "♪" }));
  } else if (entry.state === "pending") {
    tile.append(h("span", { class: "sdw-spinner", "aria-hidden": "true" }));
  } else if (entry.state === "error") {
    tile.append(h("span", { class: "sdw-media-glyph", "aria-hidden": "true", text: "!" }));
  }
  const info = entry.state === "ready" ? entry.info : {};
  const bits = [valueName(media.uploads?.names.get(value) || info.name || value)];
  if (info.width && info.height) bits.push(`${info.width}×${info.height}`);
  if (info.seconds !== undefined && info.seconds !== null) bits.push(length(info.seconds));
  const caption = h("span", {
    class: "sdw-media-caption",
    "data-testid": "media-info",
    text: entry.state === "error" ? entry.error : bits.join(" · "),
  });
  if (entry.state === "error") caption.classList.add("sdw-media-bad");
  return h("div", { class: "sdw-media-shown" }, tile, caption);
}

/**
 * A drop zone with a "Choose file" button; `onFiles(files)` gets what was dropped or picked.
 * `content` is what the zone shows inside (a hint or the current value's tile).
 */
export function dropZone(medium, onFiles) {
  const picker = h("input", {
    type: "file",
    class: "sdw-offscreen",
    accept: ACCEPT[medium] || null,
    "data-testid": "media-file",
    tabindex: "-1",
    onchange: () => {
      if (picker.files?.length) onFiles([...picker.files]);
      picker.value = "";
    },
  });
  const choose = button({
    class: "sdw-btn sdw-btn-small",
    "data-testid": "media-choose",
    text: "Choose file…",
    onclick: () => picker.click(),
  });
  const inner = h("div", { class: "sdw-drop-inner" });
  const zone = h(
    "div",
    { class: "sdw-drop", "data-testid": "media-drop" },
    inner,
    h("div", { class: "sdw-drop-actions" }, choose, picker),
  );
  const hover = (on) => (event) => {
    event.preventDefault();
    event.stopPropagation();
    zone.classList.toggle("sdw-drop-over", on);
  };
  zone.addEventListener("dragenter", hover(true));
  zone.addEventListener("dragover", hover(true));
  zone.addEventListener("dragleave", hover(false));
  zone.addEventListener("drop", (event) => {
    hover(false)(event);
    const files = [...(event.dataTransfer?.files || [])];
    if (files.length) onFiles(files);
  });
  return {
    node: zone,
    /** Show `content`, or the hint when there is nothing. */
    fill(content) {
      inner.replaceChildren(
        content ||
          h("span", { class: "sdw-drop-hint", text: `Drop ${NOUN[medium] || "a file"} here` }),
      );
    },
  };
}

/**
 * A progress line for the uploads this control started; `start(file)` sends one.
 * @param {string} field
 * @param {{uploads: import("../core/chunked-upload.js").ChunkedUploads, send: Function}} media
 */
export function uploadStatus(field, media) {
  const mine = new Set();
  const bar = h("progress", { class: "sdw-media-progress", max: "1", value: "0" });
  const text = h("span", { class: "sdw-media-progress-text" });
  const node = h(
    "div",
    { class: "sdw-media-status", "data-testid": "media-progress", hidden: true },
    bar,
    text,
  );
  const error = h("div", {
    class: "sdw-media-error",
    "data-testid": "media-error",
    role: "alert",
    hidden: true,
  });
  const stop = media.uploads.listen((id, state) => {
    if (!mine.has(id)) return;
    if (state.state === "sending") {
      show(node, true);
      bar.value = state.size ? state.sent / state.size : 0;
      text.textContent = `Sending ${valueName(state.name)}… ${Math.round(bar.value * 100)}%`;
      return;
    }
    mine.delete(id);
    show(node, mine.size > 0);
    error.textContent = state.state === "error" ? state.error : "";
    show(error, state.state === "error");
  });
  return {
    nodes: [node, error],
    start(file) {
      show(error, false);
      mine.add(media.uploads.start(file, field, media.send));
    },
    dispose: stop,
  };
}
