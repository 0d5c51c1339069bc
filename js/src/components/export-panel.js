// "Export as code": pick a flavour (from the vocabulary), show the code for the current form
// or insert it as a new cell, copy it; the shown code is marked stale when the form changes.

import { flavourLabel } from "../core/vocabulary.js";
import { button, copyText, h, selectContents } from "../util/dom.js";
import { stableJson } from "../util/format.js";

const COPIED_MS = 1500;

/**
 * The note above the code.
 * @param {string} label the flavour's display name
 * @param {{inserted: boolean, reason?: string}} code `reason`: why an asked-for insert
 *        did not happen (the kernel's sentence, e.g. in VS Code or marimo)
 * @param {boolean} restored shown again in a new view (not the answer to this view's click)
 */
export function codeNote(label, code, restored) {
  if (restored) return `${label} · last export`;
  if (code.inserted) return `${label} · inserted in a new cell below`;
  if (code.reason) return `${label} · not inserted: ${code.reason}`;
  return `${label} · copy it into a cell`;
}

/**
 * @param {object} ctx
 * @param {ReturnType<import("../core/store.js").createStore>} ctx.store
 * @param {() => void} ctx.flushForm
 */
export function createExportPanel(ctx) {
  const { store } = ctx;
  let flavour = null; // the chosen flavour's id (the vocabulary's first until one is picked)
  let shown = null; // the code on screen
  let exportedParams = null; // the params it was exported for
  let copyTimer = null;

  const seg = h("div", { class: "sdw-seg", role: "group", "aria-label": "Code flavour" });
  const insert = button({
    class: "sdw-btn",
    "data-testid": "insert-code",
    text: "Insert code",
    onclick: () => request(true),
  });
  const showCode = button({
    class: "sdw-btn sdw-btn-quiet",
    "data-testid": "show-code",
    text: "Show code",
    onclick: () => request(false),
  });
  const note = h("span", { class: "sdw-code-note", "data-testid": "code-note", role: "status" });
  const copy = button({
    class: "sdw-btn sdw-btn-small",
    "data-testid": "copy-code",
    text: "Copy",
    onclick: onCopy,
  });
  const text = h("code");
  const panel = h(
    "div",
    { class: "sdw-code-panel", hidden: true },
    h("div", { class: "sdw-code-bar" }, note, copy),
    h("pre", { class: "sdw-code", "data-testid": "export-code" }, text),
  );
  const node = h(
    "section",
    { class: "sdw-export", "aria-label": "Export as code" },
    h("div", { class: "sdw-section-title", text: "Export as code" }),
    h(
      "div",
      { class: "sdw-export-row" },
      seg,
      h("div", { class: "sdw-export-actions" }, showCode, insert),
    ),
    panel,
  );

  function chosen() {
    const { flavours } = store.vocabulary();
    if (flavours.some((f) => f.id === flavour)) return flavour;
    return flavours.length ? flavours[0].id : null;
  }

  /** Redraw the flavour buttons from the vocabulary. */
  function renderFlavours() {
    const current = chosen();
    const ids = store
      .vocabulary()
      .flavours.map((f) => f.id)
      .join(",");
    if (seg.dataset.flavours !== ids) {
      seg.dataset.flavours = ids;
      seg.replaceChildren(
        ...store.vocabulary().flavours.map((f) =>
          button({
            class: "sdw-seg-btn",
            "data-testid": `export-flavour-${f.id}`,
            "data-value": f.id,
            text: f.label,
            onclick: () => pick(f.id),
          }),
        ),
      );
    }
    for (const b of seg.children)
      b.setAttribute("aria-pressed", String(b.dataset.value === current));
    insert.disabled = current === null;
    showCode.disabled = current === null;
  }

  function pick(id) {
    flavour = id;
    renderFlavours();
    if (!panel.hidden) request(false); // keep the visible code in the chosen flavour
  }

  function request(insertCell) {
    const current = chosen();
    if (current === null) return;
    ctx.flushForm();
    exportedParams = stableJson(store.params());
    store.send({ type: "export", flavour: current, insert: Boolean(insertCell) });
  }

  /** Show a `code` reply; `restored` when a new view shows the model's last one. */
  function show(code, { restored = false } = {}) {
    if (!code) return;
    shown = code;
    text.textContent = code.text;
    panel.hidden = false;
    panel.dataset.flavour = code.flavour || "";
    note.textContent = codeNote(flavourLabel(store.vocabulary(), code.flavour), code, restored);
    note.classList.toggle("sdw-ok", Boolean(code.inserted) && !restored);
    panel.classList.remove("sdw-stale");
    markStale();
  }

  /** The form changed since the code was exported: say so. */
  function markStale() {
    if (shown === null) return;
    const stale = exportedParams !== null && exportedParams !== stableJson(store.params());
    panel.classList.toggle("sdw-stale", stale);
    panel.title = stale ? "The form changed since this code was exported" : "";
  }

  async function onCopy() {
    if (!shown) return;
    const ok = await copyText(shown.text);
    copy.textContent = ok ? "Copied" : "Select & copy";
    if (!ok) selectContents(text);
    if (copyTimer !== null) clearTimeout(copyTimer);
    copyTimer = setTimeout(() => {
      copyTimer = null;
      copy.textContent = "Copy";
    }, COPIED_MS);
  }

  return {
    node,
    renderFlavours,
    show,
    markStale,
    dispose() {
      if (copyTimer !== null) clearTimeout(copyTimer);
    },
  };
}
