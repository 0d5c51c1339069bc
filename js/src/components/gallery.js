// The sweep gallery (trait `gallery`): one cell per generation, laid out from the kernel's
// `items` (each `{job_id, values}`) as a grid whose columns are the last axis and whose rows
// are the other axes' combinations, in the order the items come.

import { button, h } from "../util/dom.js";
import { formatValue, hasRatios, humanise, plural, shorten, stableJson } from "../util/format.js";
import { ratioShape } from "./chips.js";
import { mediaKeyOf } from "./player.js";

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
  let open = true;
  /** @type {Map<string, {node: HTMLElement, pill: HTMLElement, media: HTMLElement, mediaKey: string | null}>} */
  let cells = new Map();

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

  function cell(item) {
    const id = String(item.job_id);
    const pill = h("span", { class: "sdw-pill sdw-pill-small" });
    const media = h("div", { class: "sdw-gallery-media" });
    const node = h(
      "div",
      { class: "sdw-gallery-cell", "data-testid": "gallery-cell", "data-job-id": id },
      media,
      h(
        "div",
        { class: "sdw-gallery-foot" },
        pill,
        h("span", { class: "sdw-spacer" }),
        ctx.compareToggle(id),
      ),
    );
    cells.set(id, { node, pill, media, mediaKey: null });
    return node;
  }

  function build(layout) {
    cells = new Map();
    const grid = h("div", { class: "sdw-gallery-grid", role: "table" });
    if (layout.flat) {
      grid.style.gridTemplateColumns = "repeat(auto-fill, minmax(170px, 1fr))";
      grid.append(...layout.items.map(cell));
      return grid;
    }
    const { column, rowNames, columns, rows } = layout;
    const head = rowNames.length ? "minmax(90px, max-content) " : "";
    grid.style.gridTemplateColumns = `${head}repeat(${columns.length}, minmax(150px, 1fr))`;
    if (rowNames.length) {
      grid.append(
        h("div", {
          class: "sdw-gallery-corner",
          role: "columnheader",
          text: rowNames.map(humanise).join(" / "),
        }),
      );
    }
    for (const value of columns) {
      grid.append(
        h(
          "div",
          { class: "sdw-gallery-colhead", role: "columnheader" },
          h("span", { class: "sdw-axis-name", text: humanise(column) }),
          axisLabel(column, value),
        ),
      );
    }
    for (const row of rows) {
      if (rowNames.length) {
        grid.append(
          h(
            "div",
            { class: "sdw-gallery-rowhead", role: "rowheader" },
            rowNames.map((n, i) =>
              h(
                "div",
                {},
                rowNames.length > 1
                  ? h("span", { class: "sdw-axis-name", text: humanise(n) })
                  : null,
                axisLabel(n, row.values[i]),
              ),
            ),
          ),
        );
      }
      for (const item of row.cells) {
        grid.append(
          item ? cell(item) : h("div", { class: "sdw-gallery-cell sdw-gallery-empty", text: "—" }),
        );
      }
    }
    return grid;
  }

  function render() {
    const gallery = store.gallery();
    const layout = galleryLayout(gallery);
    if (!layout.items.length) {
      node.hidden = true;
      body.replaceChildren();
      cells = new Map();
      key = "";
      return false;
    }
    node.hidden = false;
    const nextKey = stableJson({ id: gallery.id, axes: gallery.axes, items: gallery.items });
    let rebuilt = false;
    if (nextKey !== key) {
      key = nextKey;
      body.replaceChildren(build(layout));
      rebuilt = true;
    }
    const jobs = store.jobsById();
    const { running } = store.vocabulary();
    let done = 0;
    for (const [id, c] of cells) {
      const job = jobs.get(id);
      const status = job ? String(job.status || "") : "missing";
      if (job && !running.has(status)) done += 1;
      c.pill.dataset.status = status;
      c.pill.textContent = status;
      c.node.dataset.status = status;
      const entry = ctx.media.entry(job);
      const mk = mediaKeyOf(job, entry);
      if (c.mediaKey === mk) continue;
      c.mediaKey = mk;
      c.media.replaceChildren(ctx.media.player(job, entry, { compact: true }));
    }
    info.textContent = gallerySummary(gallery, layout.items.length, done, cells.size, modelNames());
    return rebuilt;
  }

  return {
    node,
    render,
    /** A job's video arrived or failed. */
    refreshMedia(jobId) {
      const c = cells.get(jobId);
      if (!c) return;
      c.mediaKey = null;
      render();
    },
  };
}
