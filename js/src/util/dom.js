// DOM helpers: element creation and the clipboard.

/**
 * Create an element. `attrs`: `class`, `text`, `dataset`, `on<event>` handlers; other keys
 * become attributes (`true` -> empty attribute; null, undefined and false are skipped).
 * Children may be nodes, strings, numbers or (nested) arrays; null and false are skipped.
 * @returns {HTMLElement}
 */
export function h(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key.startsWith("on") && typeof value === "function") {
      node.addEventListener(key.slice(2), value);
    } else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat(Number.POSITIVE_INFINITY)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** A button (`type="button"`, so it never submits a surrounding form). */
export function button(attrs, ...children) {
  return h("button", { type: "button", ...attrs }, ...children);
}

/** Show or hide `node` (the stylesheet makes `[hidden]` win over any display rule). */
export function show(node, visible) {
  node.hidden = !visible;
}

/** Copy `text` to the clipboard; false when neither the API nor execCommand worked. */
export async function copyText(text) {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch (_err) {
    // fall through to the textarea fallback
  }
  const area = h("textarea", { class: "sdw-offscreen", readonly: true, "aria-hidden": "true" });
  area.value = text;
  document.body.append(area);
  const previous = document.activeElement;
  area.select();
  let ok = false;
  try {
    ok = document.execCommand("copy");
  } catch (_err) {
    ok = false;
  }
  area.remove();
  if (previous && typeof previous.focus === "function") previous.focus({ preventScroll: true });
  return ok;
}

/** Select the text of `node`, so the user can copy it by hand. */
export function selectContents(node) {
  const range = document.createRange();
  range.selectNodeContents(node);
  const selection = window.getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
}

/** Play a media element, ignoring the autoplay refusal some browsers answer with. */
export function playQuietly(video) {
  const played = video.play();
  if (played?.catch) played.catch(() => {});
}
