// The sweep gallery (trait `gallery`): one cell per generation, laid out from the kernel's
// `items` (each `{job_id, values}`): one group per combination of the other axes' values (in
// the order the items come), headed by those values, whose cells (one per value of the last
// axis, each labelled with it) wrap into rows that fit the width, whatever the axes. Each
// group is windowed (core/windowed-list.js): only cells near the viewport exist.

import { createWindowedList } from "../core/windowed-list.js";
import { button, h } from "../util/dom.js";
import { formatValue, hasRatios, humanise, plural, shorten, stableJson } from "../util/format.js";
import { ratioShape } from "./chips.js";

/** A cell's height before it was ever measured (a poster, its label and foot). */
const CELL_ESTIMATE_PX = 230;
/** Cells mounted at once across the groups (the first paint); the rest when scrolled to. */
const EAGER_CELLS = 12;
/** Up to this many cells the gallery stays whole (see windowed-list.js `keepAll`). */
const KEEP_ALL_CELLS = 24;

/**
 * The grid of a gallery, from its items alone (axes only name and order the columns).
 * @returns {{flat: boolean, column: string | null, rowNames: string[], columns: any[],
 *            rows: {values: any[], cells: (object | null)[]}[], items: object[]}}
 */
export function galleryLayout(gallery) {
  const items = (Array.isArray(gallery?.items) ? gallery.items : []).filter(
    (it) => it && it.job_id !== undefined && it.job_id !== null,
  );
  const axes = gallery?.axes && typeof gallery.axes === "object" ? gallery.axes : {};
  const names = Object.keys(axes).filter((n) => Array.isArray(axes[n]) && axes[n].length);
  if (!names.length)
    return { flat: true, column: null, rowNames: [], columns: [], rows: [], items };

  const column = names[names.length - 1];
  const rowNames = names.slice(0, -1);
  // Columns in the axis' order; a value only an item has goes after them.
  const columns = [...axes[column]];
  const columnKeys = columns.map(stableJson);
  const rows = [];
  const rowIndex = new Map();
  for (const item of items) {
    const values = item.values && typeof item.values === "object" ? item.values : {};
    const colKey = stableJson(values[column]);
    if (!columnKeys.includes(colKey)) {
      columnKeys.push(colKey);
      columns.push(values[column]);
    }
    const rowValues = rowNames.map((n) => values[n]);
    const rowKey = stableJson(rowValues);
    if (!rowIndex.has(rowKey)) {
      rowIndex.set(rowKey, rows.length);
      rows.push({ values: rowValues, cells: [] });
    }
    const row = rows[rowIndex.get(rowKey)];
    const at = columnKeys.indexOf(colKey);
    if (!row.cells[at]) row.cells[at] = item;
  }
  for (const row of rows) row.cells = columns.map((_, i) => row.cells[i] || null);
  return { flat: false, column, rowNames, columns, rows, items };
}

/** "2 × 3 = 6 generations · ≈ $1.20 estimated · 4/6 done". */
export function gallerySummary(gallery, itemCount, done, cellCount, modelNames = new Map()) {
  const shape = Object.values(gallery.axes || {})
    .map((v) => (Array.isArray(v) ? v.length : 1))
    .join(" × ");
  const bits = [`${shape ? `${shape} = ` : ""}${plural(itemCount, "generation")}`];
  const cost = Number(gallery.estimated_cost);
  if (
    gallery.estimated_cost !== null &&
    gallery.estimated_cost !== undefined &&
    Number.isFinite(cost)
  ) {
    bits.push(`≈ $${cost.toFixed(2)} estimated`);
  }
  const perModel = Object.entries(gallery.cost_by_model || {});
  if (perModel.length > 1) {
    const each = perModel.map(([id, c]) => {
      const known = c !== null && c !== undefined && Number.isFinite(Number(c));
      return `${modelNames.get(id) || id} ${known ? `$${Number(c).toFixed(2)}` : "?"}`;
    });
    bits.push(`(${each.join(", ")})`);
  }
  bits.push(`${done}/${cellCount} done`);
  return bits.join(" · ");
}

/**
 * @param {object} ctx
 * @param {ReturnType<import("../core/store.js").createStore>} ctx.store
 * @param {() => Map<string, object>} ctx.fieldMap
 * @param {(jobId: string) => HTMLElement} ctx.compareToggle
 * @param {import("./card.js").CardContext["media"]} ctx.media
 */
export function createGallery(ctx) {
  const { store } = ctx;
  let key = "";
  /** The gallery trait last laid out, and its layout (a feed patch leaves both as they are). */
  let laidOut = null;
  let layout = galleryLayout({});
  let open = true;
  /** @type {ReturnType<typeof createWindowedList>[]} */
  let groups = [];
  /** @type {Map<string, ReturnType<typeof createWindowedList>>} job id → its group */
  let groupOf = new Map();
  /** @type {Map<string, object>} job id → its item */
  let itemOf = new Map();
  let column = null;

  const body = h("div", { class: "sdw-gallery-body" });
  const info = h("span", { class: "sdw-count" });
  const toggle = button({
    class: "sdw-btn sdw-btn-small sdw-btn-quiet",
    "aria-expanded": "true",
    text: "Hide",
    onclick: () => {
      open = !open;
      body.hidden = !open;
      toggle.textContent = open ? "Hide" : "Show";
      toggle.setAttribute("aria-expanded", String(open));
    },
  });
  const node = h(
    "section",
    { class: "sdw-gallery", "data-testid": "gallery", "aria-label": "Sweep gallery", hidden: true },
    h(
      "div",
      { class: "sdw-panel-head" },
      h("div", { class: "sdw-section-title" }, "Sweep", info),
      h("span", { class: "sdw-spacer" }),
      toggle,
    ),
    body,
  );

  const modelNames = () => new Map(store.models().map((m) => [m.id, m.display_name || m.id]));

  function axisLabel(name, value) {
    if (name === "model") {
      const label = modelNames().get(value) || String(value);
      return h("span", { class: "sdw-axis-model", title: String(value), text: label });
    }
    if (name === "prompt") {
      return h("span", {
        class: "sdw-axis-prompt",
        title: String(value),
        text: shorten(value, 80),
      });
    }
    const field = ctx.fieldMap().get(name);
    return h(
      "span",
      { class: "sdw-axis-value" },
      hasRatios(field) ? ratioShape(value) : null,
      formatValue(field, value),
    );
  }

  /** A mounted cell: its media, status pill and compare toggle, redrawn by `update`. */
  function mountCell(id) {
    const item = itemOf.get(id);
    const pill = h("span", { class: "sdw-pill sdw-pill-small" });
    const media = h("div", { class: "sdw-gallery-media" });
    const values = item?.values && typeof item.values === "object" ? item.values : {};
    const label =
      column !== null
        ? h(
            "div",
            { class: "sdw-gallery-label", "data-testid": "gallery-label" },
            h("span", { class: "sdw-axis-name", text: humanise(column) }),
            axisLabel(column, values[column]),
          )
        : null;
    const cellNode = h(
      "div",
      { class: "sdw-gallery-cell", "data-testid": "gallery-cell", "data-job-id": id },
      label,
      media,
      h(
        "div",
        { class: "sdw-gallery-foot" },
        pill,
        h("span", { class: "sdw-spacer" }),
        ctx.compareToggle(id),
      ),
    );
    let mediaKey = null;
    return {
      node: cellNode,
      update() {
        const job = store.job(id);
        const status = job ? String(job.status || "") : "missing";
        pill.dataset.status = status;
        pill.textContent = status;
        cellNode.dataset.status = status;
        const entry = ctx.media.entry(job);
        const mk = ctx.media.key(job, entry);
        if (mk === mediaKey) return;
        mediaKey = mk;
        media.replaceChildren(ctx.media.player(job, entry, { compact: true }));
      },
      refreshMedia() {
        mediaKey = null;
        this.update();
      },
    };
  }

  function build(layout) {
    for (const group of groups) group.dispose();
    groups = [];
    groupOf = new Map();
    itemOf = new Map(layout.items.map((item) => [String(item.job_id), item]));
    column = layout.column;
    let eager = EAGER_CELLS;
    const small = layout.items.length <= KEEP_ALL_CELLS;
    const rows = layout.flat ? [{ values: [], cells: layout.items }] : layout.rows;
    const sections = rows.map((row) => {
      const grid = h("div", { class: "sdw-gallery-grid" });
      const ids = row.cells.filter(Boolean).map((item) => String(item.job_id));
      const group = createWindowedList({
        container: grid,
        estimate: CELL_ESTIMATE_PX,
        eager,
        slotClass: "sdw-slot sdw-gallery-slot",
        keepAll: () => small,
        mount(id) {
          const cell = mountCell(id);
          cell.update();
          return cell;
        },
      });
      group.setKeys(ids);
      eager = Math.max(0, eager - ids.length);
      groups.push(group);
      for (const id of ids) groupOf.set(id, group);
      const head = layout.rowNames.length
        ? h(
            "div",
            { class: "sdw-gallery-rowhead", role: "heading", "aria-level": "4" },
            layout.rowNames.map((n, i) =>
              h(
                "span",
                { class: "sdw-gallery-rowvalue" },
                h("span", { class: "sdw-axis-name", text: humanise(n) }),
                axisLabel(n, row.values[i]),
              ),
            ),
          )
        : null;
      return h("div", { class: "sdw-gallery-group", role: "group" }, head, grid);
    });
    body.replaceChildren(...sections);
  }

  /** @param {{changed: Set<string>, reordered: boolean}} [change] from the job feed */
  function render(change) {
    const gallery = store.gallery();
    const changed = gallery !== laidOut;
    if (changed) {
      laidOut = gallery;
      layout = galleryLayout(gallery);
    }
    if (!layout.items.length) {
      node.hidden = true;
      for (const group of groups) group.dispose();
      body.replaceChildren();
      groups = [];
      groupOf = new Map();
      key = "";
      return false;
    }
    node.hidden = false;
    let rebuilt = false;
    if (changed) {
      const nextKey = stableJson({ id: gallery.id, axes: gallery.axes, items: gallery.items });
      if (nextKey !== key) {
        key = nextKey;
        build(layout);
        rebuilt = true;
      }
    }
    const ids = change && !rebuilt ? [...change.changed] : [...groupOf.keys()];
    for (const id of ids) groupOf.get(id)?.item(id)?.update();
    const { running } = store.vocabulary();
    let done = 0;
    for (const id of groupOf.keys()) {
      const job = store.job(id);
      if (job && !running.has(String(job.status || ""))) done += 1;
    }
    info.textContent = gallerySummary(
      gallery,
      layout.items.length,
      done,
      groupOf.size,
      modelNames(),
    );
    return rebuilt;
  }

  return {
    node,
    render,
    /** A job's video or poster arrived or failed. */
    refreshMedia(jobId) {
      groupOf.get(jobId)?.item(jobId)?.refreshMedia();
    },
    dispose() {
      for (const group of groups) group.dispose();
    },
  };
}
