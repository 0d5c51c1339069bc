// Schema-driven controls, one per field of the `fields` trait: free text (the prompt, with a
// debounce and the notebook-key guards), choice buttons for enums, a switch for booleans and
// a number input. Each control is {node, sync(value), flush?(), dispose()}.

import { button, h } from "../util/dom.js";
import { hasRatios, humanise, isAutoDuration, optionLabel } from "../util/format.js";
import { ratioShape } from "./chips.js";
import { mediaControl } from "./media-input.js";

export const TEXT_DEBOUNCE_MS = 150;

/**
 * @typedef {object} ControlContext
 * @property {() => object} params the form's current values
 * @property {(name: string, value: any) => void} setParam
 * @property {(values: object) => void} setParams several values at once
 * @property {{previews: object, uploads: object, send: Function, listen: Function}} media
 * @property {() => void} submit Ctrl/Cmd+Enter in a text field
 */

/** Free text; `isPrompt` for the prompt (bigger, test ids `prompt` / `char-count`). */
export function textControl(field, isPrompt, ctx) {
  const area = h("textarea", {
    class: `sdw-textarea${isPrompt ? " sdw-prompt" : ""}`,
    rows: isPrompt ? 4 : 2,
    placeholder:
      typeof field.default === "string" && field.default
        ? `e.g. ${field.default}`
        : field.description || "",
    "aria-label": humanise(field.name),
    spellcheck: "true",
    "data-testid": isPrompt ? "prompt" : null,
  });
  const count = h("span", {
    class: "sdw-char-count",
    "data-testid": isPrompt ? "char-count" : `char-count-${field.name}`,
  });
  const max = Number.isFinite(field.maximum) ? field.maximum : null;
  const updateCount = () => {
    const n = area.value.length;
    count.textContent = max ? `${n} / ${max}` : `${n} character${n === 1 ? "" : "s"}`;
    count.classList.toggle("sdw-over", max !== null && n > max);
  };

  let timer = null;
  const send = () => {
    if (ctx.params()[field.name] !== area.value) ctx.setParam(field.name, area.value);
  };
  const flush = () => {
    if (timer === null) return;
    clearTimeout(timer);
    timer = null;
    send();
  };
  area.addEventListener("input", () => {
    updateCount();
    if (timer !== null) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      send();
    }, TEXT_DEBOUNCE_MS);
  });
  area.addEventListener("blur", flush);

  // Shift/Ctrl/Alt+Enter typed here must not reach the notebook ("run cell" would re-run the
  // widget's own cell). JupyterLab and Notebook 7 look at keys on `document` (in the capture
  // phase in some versions), so the guard sits on `window`, capture phase, which runs first;
  // it only acts on events aimed at this textarea. Other keys pass through.
  const guard = (event) => {
    if (event.target !== area || event.key !== "Enter" || event.isComposing) return;
    if (!(event.shiftKey || event.ctrlKey || event.metaKey || event.altKey)) return;
    event.stopPropagation();
    if ((event.ctrlKey || event.metaKey) && !event.altKey && !event.shiftKey) {
      event.preventDefault();
      ctx.submit();
    }
  };
  // JupyterLab also cancels line breaks typed anywhere inside a cell (a `beforeinput`
  // listener it puts on the focused element when a key such as Shift goes down): let this
  // textarea keep its Shift+Enter newline.
  const keepNewline = (event) => {
    if (event.target !== area) return;
    if (event.inputType === "insertLineBreak" || event.inputType === "insertParagraph") {
      event.stopPropagation();
    }
  };
  window.addEventListener("keydown", guard, true);
  window.addEventListener("beforeinput", keepNewline, true);

  const sync = (value) => {
    // Do not overwrite what the user is typing before it has been sent.
    if (timer !== null) return;
    const text = typeof value === "string" ? value : "";
    if (area.value !== text) {
      area.value = text;
      updateCount();
    }
  };
  updateCount();
  return {
    node: h("div", { class: "sdw-text-wrap" }, area, h("div", { class: "sdw-text-foot" }, count)),
    sync,
    flush,
    dispose() {
      window.removeEventListener("keydown", guard, true);
      window.removeEventListener("beforeinput", keepNewline, true);
      flush();
    },
  };
}

/** One button per allowed value; ratios drawn as shapes. */
export function choiceControl(field, ctx) {
  const ratios = hasRatios(field);
  const buttons = field.enum.map((value) =>
    button(
      {
        class: `sdw-seg-btn${ratios ? " sdw-seg-ratio" : ""}`,
        "data-value": String(value),
        "aria-pressed": "false",
        title: String(value),
        onclick: () => {
          if (ctx.params()[field.name] !== value) ctx.setParam(field.name, value);
        },
      },
      ratios ? ratioShape(value) : null,
      h("span", { text: optionLabel(field, value) }),
    ),
  );
  const sync = (value) => {
    field.enum.forEach((option, i) => {
      buttons[i].setAttribute("aria-pressed", String(option === value));
    });
  };
  const group = h(
    "div",
    {
      class: `sdw-seg sdw-seg-wrap${isAutoDuration(field) ? " sdw-seg-compact" : ""}`,
      role: "group",
      "aria-label": humanise(field.name),
    },
    buttons,
  );
  return { node: group, sync, dispose() {} };
}

/** An on/off switch. */
export function switchControl(field, ctx) {
  const state = h("span", { class: "sdw-switch-state" });
  const toggle = button(
    {
      class: "sdw-switch",
      role: "switch",
      "aria-checked": "false",
      "aria-label": humanise(field.name),
      "data-value": "false",
      onclick: () => ctx.setParam(field.name, ctx.params()[field.name] !== true),
    },
    h("span", { class: "sdw-switch-knob", "aria-hidden": "true" }),
  );
  const sync = (value) => {
    const on = value === true;
    toggle.setAttribute("aria-checked", String(on));
    toggle.setAttribute("aria-pressed", String(on));
    toggle.dataset.value = String(on);
    state.textContent = on ? "On" : "Off";
  };
  return {
    node: h("div", { class: "sdw-switch-row" }, toggle, state),
    sync,
    inline: true,
    dispose() {},
  };
}

/** A number input within the field's bounds. */
export function numberControl(field, ctx) {
  const input = h("input", {
    type: "number",
    class: "sdw-number",
    "aria-label": humanise(field.name),
    min: Number.isFinite(field.minimum) ? field.minimum : null,
    max: Number.isFinite(field.maximum) ? field.maximum : null,
    step: field.type === "integer" ? 1 : "any",
    placeholder: field.default !== null && field.default !== undefined ? String(field.default) : "",
  });
  input.addEventListener("change", () => {
    if (input.value === "") {
      ctx.setParam(field.name, undefined);
      return;
    }
    const value = field.type === "integer" ? Math.round(Number(input.value)) : Number(input.value);
    if (Number.isFinite(value)) ctx.setParam(field.name, value);
  });
  const sync = (value) => {
    const text = value === null || value === undefined ? "" : String(value);
    if (document.activeElement !== input && input.value !== text) input.value = text;
  };
  return { node: input, sync, dispose() {} };
}

/** The control a field's schema calls for. */
export function controlFor(field, ctx) {
  if (field.media) return mediaControl(field, ctx);
  if (Array.isArray(field.enum) && field.enum.length) return choiceControl(field, ctx);
  if (field.type === "boolean") return switchControl(field, ctx);
  if (field.type === "integer" || field.type === "number") return numberControl(field, ctx);
  return textControl(field, field.name === "prompt", ctx);
}
