// Controls for media fields (a URL, or a file from this computer): one input (a first or
// last frame) or a list of references (named @Image1, @Video1, @Audio1 in the prompt, face
// ones first within their kind). Each value shows its preview; a field's face companion (a
// flag, or for references a list of its own) is a toggle beside it. Files go to the kernel
// in chunks (core/chunked-upload.js), which puts their path into the form.

import { button, h } from "../util/dom.js";
import { dropZone, previewTile, uploadStatus, valueName } from "./media-parts.js";

const isLocalPath = (value) =>
  typeof value === "string" && !/^[A-Za-z][A-Za-z0-9+.-]+:/.test(value);

/** A face toggle: a small switch with its label. */
function faceToggle(on, onToggle, label = "Shows a real face") {
  return button(
    {
      class: "sdw-face-toggle",
      role: "switch",
      "data-testid": "media-face",
      "aria-checked": String(on),
      "aria-pressed": String(on),
      title: "Turn this on when it shows a real human face: content filters may block it otherwise",
      onclick: onToggle,
    },
    h(
      "span",
      { class: "sdw-switch sdw-switch-mini", "aria-hidden": "true" },
      h("span", { class: "sdw-switch-knob" }),
    ),
    label,
  );
}

/** A URL box: Enter or leaving it with text calls `onUrl(text)`. */
function urlBox(placeholder, onUrl) {
  const input = h("input", {
    type: "url",
    class: "sdw-media-url",
    "data-testid": "media-url",
    placeholder,
    spellcheck: "false",
  });
  const commit = () => {
    const text = input.value.trim();
    if (text) onUrl(text);
  };
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault();
      event.stopPropagation();
      commit();
    }
  });
  input.addEventListener("change", commit);
  return input;
}

/**
 * @param {object} field the media field (`media`, `face`, `items`)
 * @param {import("./controls.js").ControlContext & {media: object}} ctx
 */
export function mediaControl(field, ctx) {
  return field.items ? listControl(field, ctx) : singleControl(field, ctx);
}

function singleControl(field, ctx) {
  const medium = field.media;
  const status = uploadStatus(field.name, ctx.media);
  const zone = dropZone(medium, (files) => status.start(files[0]));
  const url = urlBox("…or paste a URL", (text) => ctx.setParam(field.name, text));
  const clear = button({
    class: "sdw-btn sdw-btn-small sdw-btn-quiet",
    "data-testid": "media-clear",
    text: "Clear",
    onclick: () => ctx.setParam(field.name, undefined),
  });
  const face = h("div", { class: "sdw-media-face" });
  const node = h(
    "div",
    { class: "sdw-media", "data-testid": `media-${field.name}` },
    zone.node,
    h("div", { class: "sdw-media-row" }, url, clear),
    ...status.nodes,
    face,
  );
  let shown = null;

  function render() {
    const params = ctx.params();
    const value = params[field.name];
    const has = typeof value === "string" && value !== "";
    zone.fill(has ? previewTile(value, medium, ctx.media) : null);
    clear.hidden = !has;
    if (document.activeElement !== url) url.value = has && !isLocalPath(value) ? value : "";
    const local = has && isLocalPath(value);
    const name = local ? ctx.media.uploads.names.get(value) || valueName(value) : "";
    url.placeholder = local ? `${name} (a local file)` : "…or paste a URL";
    const flag = field.face;
    face.replaceChildren(
      flag
        ? faceToggle(params[flag] === true, () => ctx.setParam(flag, params[flag] !== true))
        : "",
    );
    shown = has ? value : null;
  }

  const stop = ctx.media.listen((event) => {
    if (event.type === "preview" && event.value === shown) render();
  });
  render();
  return {
    node,
    sync: render,
    dispose() {
      stop();
      status.dispose();
    },
  };
}

function listControl(field, ctx) {
  const medium = field.media;
  const faceList = field.face; // e.g. input_face_images, shown first and named first
  const status = uploadStatus(field.name, ctx.media);
  const zone = dropZone(medium, (files) => {
    for (const file of files) status.start(file);
  });
  const items = h("ol", { class: "sdw-media-items", "data-testid": "media-items" });
  const hint = h("p", { class: "sdw-media-hint" });
  const add = urlBox("…or paste a URL and press Enter", (text) => {
    const values = ctx.params()[field.name] || [];
    if (!values.includes(text)) ctx.setParam(field.name, [...values, text]);
  });
  const node = h(
    "div",
    { class: "sdw-media sdw-media-list", "data-testid": `media-${field.name}` },
    items,
    zone.node,
    h("div", { class: "sdw-media-row" }, add),
    ...status.nodes,
    hint,
  );
  let shown = new Set();
  const noun = medium.charAt(0).toUpperCase() + medium.slice(1);

  /** Move `value` between the face list and the plain one, or drop it (`to` null). */
  function move(value, from, to) {
    const params = ctx.params();
    const next = { [from]: (params[from] || []).filter((v) => v !== value) };
    if (to) next[to] = [...(params[to] || []).filter((v) => v !== value), value];
    ctx.setParams(next);
  }

  function render() {
    const params = ctx.params();
    const faces = faceList ? params[faceList] || [] : [];
    const plain = params[field.name] || [];
    const entries = [
      ...faces.map((value) => ({ value, face: true })),
      ...plain.map((value) => ({ value, face: false })),
    ];
    items.replaceChildren(
      ...entries.map(({ value, face }, i) => {
        const label = `@${noun}${i + 1}`;
        const list = face ? faceList : field.name;
        return h(
          "li",
          { class: "sdw-media-item", "data-testid": "media-item", "data-label": label },
          h("span", { class: "sdw-media-label", text: label }),
          previewTile(value, medium, ctx.media),
          faceList
            ? faceToggle(face, () => move(value, list, face ? field.name : faceList), "Face")
            : "",
          button({
            class: "sdw-icon-btn",
            "data-testid": "media-remove",
            title: `Remove ${label}`,
            "aria-label": `Remove ${label}`,
            text: "×",
            onclick: () => move(value, list, null),
          }),
        );
      }),
    );
    zone.fill(null);
    const limit = Number.isFinite(field.max_items) ? ` (up to ${field.max_items})` : "";
    hint.textContent = entries.length
      ? `Name them in the prompt: ${entries.map((_, i) => `@${noun}${i + 1}`).join(", ")}`
      : `Reference ${medium}s${limit}, named @${noun}1, @${noun}2… in the prompt.`;
    shown = new Set(entries.map((e) => e.value));
  }

  const stop = ctx.media.listen((event) => {
    if (event.type === "preview" && shown.has(event.value)) render();
  });
  render();
  return {
    node,
    sync: render,
    dispose() {
      stop();
      status.dispose();
    },
  };
}
