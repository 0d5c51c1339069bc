// Small pieces shared by cards, the compare panel and the gallery: parameter chips and the
// little rectangle that draws a "W:H" ratio.

import { h } from "../util/dom.js";
import { chipLabel, formatValue, hasRatios, humanise, ratioOf } from "../util/format.js";

const SHAPE_BOX = 16;

/** A small rectangle with the shape of a "W:H" value; a dashed square for the others. */
export function ratioShape(value) {
  const ratio = ratioOf(value);
  let width = 12;
  let height = 12;
  let dashed = true;
  if (ratio && ratio.width > 0 && ratio.height > 0) {
    const scale = SHAPE_BOX / Math.max(ratio.width, ratio.height);
    width = Math.max(4, Math.round(ratio.width * scale));
    height = Math.max(4, Math.round(ratio.height * scale));
    dashed = false;
  } else if (ratio) {
    width = SHAPE_BOX;
    height = SHAPE_BOX;
  }
  const shape = h("span", {
    class: `sdw-shape${dashed ? " sdw-shape-free" : ""}`,
    "aria-hidden": "true",
  });
  shape.style.width = `${width}px`;
  shape.style.height = `${height}px`;
  return h("span", { class: "sdw-shape-box", "aria-hidden": "true" }, shape);
}

/** A chip for one parameter: "16:9" with its shape, "5 s", "Audio" / "No audio". */
export function chipFor(field, name, value) {
  if (typeof value === "boolean") {
    return h(
      "span",
      {
        class: `sdw-chip ${value ? "sdw-chip-on" : "sdw-chip-off"}`,
        title: `${humanise(name)}: ${value ? "on" : "off"}`,
      },
      value ? chipLabel(name) : `No ${chipLabel(name).toLowerCase()}`,
    );
  }
  return h(
    "span",
    { class: "sdw-chip", title: `${humanise(name)}: ${formatValue(field, value)}` },
    hasRatios(field) ? ratioShape(value) : null,
    formatValue(field, value),
  );
}

/** A plain chip with some text ("take 2"). */
export function textChip(text, extraClass = "") {
  return h("span", { class: `sdw-chip${extraClass ? ` ${extraClass}` : ""}`, text });
}
