// Formatting helpers: pure functions from values to display text. No DOM here.

/** A "W:H" aspect ratio such as "16:9". */
const RATIO = /^(\d+(?:\.\d+)?):(\d+(?:\.\d+)?)$/;

/** A frame within 5% of square counts as square. */
const SQUARE_TOLERANCE = 1.05;

/** "aspect_ratio" -> "Aspect ratio". */
export function humanise(name) {
  const words = String(name).replace(/[_-]+/g, " ").trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** A short label for chips: "generate_audio" -> "Audio", "aspect_ratio" -> "Aspect ratio". */
export function chipLabel(name) {
  return humanise(String(name).replace(/^(generate|enable|use|add)_/, ""));
}

/** A field's JSON types, as a list ("integer" or ["integer", "string"]). */
const typesOf = (field) => (Array.isArray(field?.type) ? field.type : [field?.type]);

/**
 * Seconds to choose from, where -1 (2.0) or "auto" (2.5, an integer-or-string enum) means
 * "let the model decide" (Seedance's duration).
 */
export function isAutoDuration(field) {
  return (
    Boolean(field) &&
    typesOf(field).includes("integer") &&
    Array.isArray(field.enum) &&
    (field.enum.includes(-1) || field.enum.includes("auto"))
  );
}

/** The "let the model decide" value of an auto duration field. */
const isAuto = (value) => value === -1 || value === "auto";

/** A field whose choices include "W:H" ratios (drawn as little rectangles). */
export function hasRatios(field) {
  return (
    Boolean(field) &&
    Array.isArray(field.enum) &&
    field.enum.some((v) => typeof v === "string" && RATIO.test(v))
  );
}

/** The numbers of a "W:H" value, or null. */
export function ratioOf(value) {
  const match = RATIO.exec(String(value));
  if (!match) return null;
  return { width: Number(match[1]), height: Number(match[2]) };
}

/** A parameter value as text: "5 s", "Auto", "On" / "Off", or the value itself. */
export function formatValue(field, value) {
  if (value === null || value === undefined) return "—";
  if (isAutoDuration(field)) return isAuto(value) ? "Auto" : `${value} s`;
  if (field?.media) return mediaText(field, value);
  if (typeof value === "boolean") return value ? "On" : "Off";
  return String(value);
}

/** A media value in a chip: "still.png", "2 images". */
function mediaText(field, value) {
  if (Array.isArray(value)) return plural(value.length, field.media);
  const last = String(value).split("?")[0].split(/[\\/]/).pop() || String(value);
  return shorten(last.length > 24 ? `${last.slice(0, 10)}…${last.slice(-10)}` : last, 28);
}

/** The label of one choice button: "adaptive" -> "Adaptive"; "480p", "4k", "16:9" unchanged. */
export function optionLabel(field, value) {
  if (isAutoDuration(field)) return isAuto(value) ? "Auto" : `${value}s`;
  if (typeof value === "string" && /^[a-z]+$/.test(value)) {
    return value.charAt(0).toUpperCase() + value.slice(1);
  }
  return String(value);
}

/**
 * The one place that decides a frame's orientation, from a video's pixel size or from a
 * "W:H" ratio alike.
 * @returns {"landscape" | "portrait" | "square"}
 */
export function orientation(width, height) {
  if (width > height * SQUARE_TOLERANCE) return "landscape";
  if (height > width * SQUARE_TOLERANCE) return "portrait";
  return "square";
}

/** Before the video's metadata is known, guess its orientation from a "W:H" parameter. */
export function guessOrientation(params) {
  for (const value of Object.values(params || {})) {
    const ratio = ratioOf(value);
    if (ratio && ratio.width > 0 && ratio.height > 0) {
      return orientation(ratio.width, ratio.height);
    }
  }
  return "landscape";
}

/** "4.2 s", "3m 07s", "1h 05m". */
export function formatElapsed(seconds) {
  const s = Number.isFinite(seconds) && seconds >= 0 ? seconds : 0;
  if (s < 60) return `${s.toFixed(1)} s`;
  const minutes = Math.floor(s / 60);
  const rest = Math.floor(s % 60);
  if (minutes < 60) return `${minutes}m ${String(rest).padStart(2, "0")}s`;
  return `${Math.floor(minutes / 60)}h ${String(minutes % 60).padStart(2, "0")}m`;
}

/** Seconds from a job's creation to its end (or to `now`), or null without a start. */
export function elapsedSeconds(job, now) {
  if (job?.created_at === null || job?.created_at === undefined) return null;
  const start = Number(job.created_at);
  if (!Number.isFinite(start)) return null;
  const finished = job.finished_at;
  const end = finished !== null && finished !== undefined ? Number(finished) : now;
  return Math.max(0, end - start);
}

/**
 * While processing, the kernel's `eta_seconds` (median of past runs) as time left.
 * @returns {{text: string, title: string} | null}
 */
export function etaText(job, now) {
  if (job?.status !== "processing") return null;
  if (job.eta_seconds === null || job.eta_seconds === undefined) return null;
  const eta = Number(job.eta_seconds);
  if (!Number.isFinite(eta)) return null;
  const start = Number(job.started_at ?? job.created_at);
  const left = Number.isFinite(start) ? eta - (now - start) : eta;
  return {
    text: left > 0.5 ? `ETA ~${Math.ceil(left)} s` : "ETA any moment",
    title: `Typical processing time here: ${eta.toFixed(1)} s`,
  };
}

/** "1 generation", "3 generations". */
export function plural(count, word) {
  return `${count} ${word}${count === 1 ? "" : "s"}`;
}

/** Cut `text` to `max` characters with an ellipsis. */
export function shorten(text, max) {
  const str = String(text);
  return str.length > max ? `${str.slice(0, max - 1)}…` : str;
}

/** JSON with sorted keys: equal values give equal strings (used as cache keys). */
export function stableJson(value) {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(",")}]`;
  if (value && typeof value === "object") {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${stableJson(value[k])}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/** Seconds since the epoch, as the kernel writes times. */
export function nowSeconds() {
  return Date.now() / 1000;
}
