// The header: the model's name and id, and the "Simulated" badge.

import { h, show } from "../util/dom.js";

/** @param {ReturnType<import("../core/store.js").createStore>} store */
export function createHeader(store) {
  const name = h("span", { class: "sdw-title-name" });
  const id = h("span", { class: "sdw-title-id" });
  const badge = h(
    "span",
    { class: "sdw-badge sdw-badge-sim", "data-testid": "simulated-badge", role: "status" },
    h("span", { class: "sdw-badge-dot", "aria-hidden": "true" }),
    "Simulated",
  );
  const node = h(
    "header",
    { class: "sdw-header" },
    h(
      "div",
      { class: "sdw-title" },
      h("span", { class: "sdw-logo", "aria-hidden": "true" }),
      h("div", { class: "sdw-title-text" }, name, id),
    ),
    badge,
  );

  /** @param {HTMLElement} root the studio's root, marked while simulated */
  function render(root) {
    const modelId = String(store.get("model") || "");
    const display = String(store.get("model_display_name") || "");
    name.textContent = display || modelId || "Seedance Studio";
    id.textContent = display ? modelId : "";
    const backend = store.backend();
    show(badge, Boolean(backend.simulated));
    badge.title = backend.label || "Simulated backend: no API key is used and nothing is billed";
    root.classList.toggle("sdw-simulated", Boolean(backend.simulated));
  }

  return { node, render };
}
