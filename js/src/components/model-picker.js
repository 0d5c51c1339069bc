// The model picker: a select of the `models` trait, grouped by kind (text, image, reference
// to video). Choosing one writes the `model` trait; the kernel rebuilds the form from that
// model's schema, keeping every value still valid.

import { h } from "../util/dom.js";
import { humanise, stableJson } from "../util/format.js";

/** @param {ReturnType<import("../core/store.js").createStore>} store */
export function createModelPicker(store) {
  const select = h("select", {
    class: "sdw-model-select",
    "data-testid": "model-picker",
    "aria-label": "Model",
    onchange: () => store.setModel(select.value),
  });
  const node = h(
    "label",
    { class: "sdw-model-picker" },
    h("span", { class: "sdw-label", text: "Model" }),
    select,
  );
  let key = null;

  function render() {
    const models = store.models();
    const current = String(store.get("model") || "");
    const nextKey = stableJson(models);
    if (nextKey !== key) {
      key = nextKey;
      const groups = new Map();
      for (const m of models) {
        const kind = String(m.kind || "other");
        if (!groups.has(kind)) groups.set(kind, h("optgroup", { label: humanise(kind) }));
        groups
          .get(kind)
          .append(h("option", { value: m.id, text: m.display_name || m.id, title: m.id }));
      }
      select.replaceChildren(...groups.values());
    }
    node.hidden = models.length < 2;
    if (select.value !== current) select.value = current;
  }

  return { node, render };
}
