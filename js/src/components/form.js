// The request form: controls built from the `fields` trait (basic ones first, the rest behind
// "More options"), the Generate button with its shortcut, and the kernel's last refusal. In a
// narrow studio (under 760 px, form.css) the form shows only the prompt and Generate until
// its "Options" toggle opens the rest, so the job cards are one short scroll away.

import { button, h, show } from "../util/dom.js";
import { humanise, stableJson } from "../util/format.js";
import { controlFor } from "./controls.js";
import { createModelPicker } from "./model-picker.js";

const IS_MAC = typeof navigator !== "undefined" && /Mac|iPhone|iPad/.test(navigator.platform || "");
const PULSE_MS = 600;
/** What a person calls the media fields (the schema's names stay in test ids and code). */
const LABELS = {
  input_image: "First frame",
  tail_image_url: "Last frame",
  input_images: "Reference images",
  input_videos: "Reference videos",
  input_audios: "Reference audio",
};

/**
 * @param {object} ctx
 * @param {ReturnType<import("../core/store.js").createStore>} ctx.store
 * @param {HTMLElement} ctx.exportNode the export panel, shown under the form
 * @param {{previews: object, uploads: object, listen: Function}} ctx.media previews and
 *   chunked uploads of media inputs (core/messages.js)
 */
export function createForm(ctx) {
  const { store } = ctx;
  const picker = createModelPicker(store);
  /** @type {Map<string, ReturnType<typeof controlFor>>} */
  const controls = new Map();
  let fieldsKey = null;
  let moreOpen = false;
  let pulseTimer = null;

  const basic = h("div", { class: "sdw-fields" });
  const more = h("div", {
    class: "sdw-fields sdw-more-fields",
    id: `sdw-more-${Math.random().toString(36).slice(2)}`,
    hidden: true,
  });
  const moreToggle = button(
    {
      class: "sdw-more-toggle",
      "data-testid": "more-toggle",
      "aria-expanded": "false",
      "aria-controls": more.id,
      onclick: () => {
        moreOpen = !moreOpen;
        show(more, moreOpen);
        moreToggle.setAttribute("aria-expanded", String(moreOpen));
        moreSection.classList.toggle("sdw-open", moreOpen);
      },
    },
    h("span", { class: "sdw-caret", "aria-hidden": "true" }),
    h("span", { class: "sdw-more-label", text: "More options" }),
  );
  const moreSection = h("div", { class: "sdw-more" }, moreToggle, more);
  const generateButton = button(
    { class: "sdw-btn sdw-btn-primary sdw-generate", "data-testid": "generate", onclick: generate },
    h("span", { class: "sdw-generate-icon", "aria-hidden": "true" }),
    "Generate",
  );
  let optionsOpen = false;
  const optionsToggle = button(
    {
      class: "sdw-btn sdw-btn-quiet sdw-form-options",
      "data-testid": "form-options",
      "aria-expanded": "false",
      title: "Show every setting and the code export",
      onclick: () => {
        optionsOpen = !optionsOpen;
        node.classList.toggle("sdw-form-open", optionsOpen);
        optionsToggle.setAttribute("aria-expanded", String(optionsOpen));
      },
    },
    h("span", { class: "sdw-caret", "aria-hidden": "true" }),
    "Options",
  );
  const error = h("div", {
    class: "sdw-form-error",
    "data-testid": "form-error",
    role: "alert",
    hidden: true,
  });
  const node = h(
    "section",
    { class: "sdw-form", "aria-label": "Request" },
    picker.node,
    basic,
    moreSection,
    h(
      "div",
      { class: "sdw-actions" },
      generateButton,
      h("span", { class: "sdw-hint", text: `${IS_MAC ? "⌘" : "Ctrl"}+Enter` }),
      optionsToggle,
    ),
    error,
    ctx.exportNode,
  );

  const controlContext = {
    params: () => store.params(),
    setParam: (name, value) => store.setParam(name, value),
    setParams: (values) => store.mergeParams(values, new Set(Object.keys(values))),
    submit: generate,
    media: { ...ctx.media, send: (content, buffers) => store.send(content, buffers) },
  };

  /** Send any text still waiting for its debounce (before generate, export, rebuild). */
  function flush() {
    for (const control of controls.values()) control.flush?.();
  }

  function generate() {
    flush();
    store.send({ type: "generate" });
    generateButton.classList.add("sdw-pulse");
    if (pulseTimer !== null) clearTimeout(pulseTimer);
    pulseTimer = setTimeout(() => {
      pulseTimer = null;
      generateButton.classList.remove("sdw-pulse");
    }, PULSE_MS);
  }

  function fieldGroup(field, control) {
    const label = h("span", {
      class: "sdw-label",
      text: LABELS[field.name] || humanise(field.name),
    });
    if (field.required && field.name !== "prompt")
      label.append(h("span", { class: "sdw-req", text: " *" }));
    return h(
      "div",
      {
        class: `sdw-field${control.inline ? " sdw-field-inline" : ""}`,
        "data-testid": `field-${field.name}`,
        "data-field": field.name,
        title: field.description || null,
      },
      label,
      control.node,
    );
  }

  /** Rebuild the controls when the fields changed; returns whether they did. */
  function renderFields() {
    picker.render();
    const fields = store.fields();
    const key = stableJson(fields);
    if (key === fieldsKey) return false;
    fieldsKey = key;
    for (const control of controls.values()) control.dispose();
    controls.clear();
    basic.replaceChildren();
    more.replaceChildren();
    // The prompt leads; otherwise the schema's order.
    const ordered = [...fields].sort((a, b) => (b.name === "prompt") - (a.name === "prompt"));
    let advanced = 0;
    for (const field of ordered) {
      if (field.face_of) continue; // shown beside its media field
      const control = controlFor(field, controlContext);
      controls.set(field.name, control);
      const group = fieldGroup(field, control);
      if (field.basic) basic.append(group);
      else {
        more.append(group);
        advanced += 1;
      }
    }
    show(moreSection, advanced > 0);
    syncValues();
    return true;
  }

  /** Show the `params` trait in the controls (and the model in the picker). */
  function syncValues() {
    picker.render();
    const params = store.params();
    for (const [name, control] of controls) control.sync(params[name]);
  }

  function renderError() {
    const text = store.error();
    error.textContent = text;
    show(error, text !== "");
  }

  return {
    node,
    flush,
    renderFields,
    syncValues,
    renderError,
    dispose() {
      if (pulseTimer !== null) clearTimeout(pulseTimer);
      for (const control of controls.values()) control.dispose();
    },
  };
}
