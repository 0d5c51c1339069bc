// The history panel (trait `history_page`): the ledger's past takes, newest first, a page at
// a time, searched by prompt text and filtered by model, parameter, status, rating and tag.
// The kernel reads each page from the ledger; this view only sends what it wants
// (`{type: "history", query, page}`) and draws the page it gets back. A row opens the take
// as a card with its video, or restores its request into the form.

import { button, h, show } from "../util/dom.js";
import { formatValue, humanise, shorten } from "../util/format.js";
import { costText, formatMoney } from "../util/money.js";

const SEARCH_DELAY_MS = 300;
const RATINGS = [
  ["", "Any rating"],
  ["5", "★★★★★"],
  ["4", "★★★★ and up"],
  ["3", "★★★ and up"],
  ["2", "★★ and up"],
  ["1", "★ and up"],
  ["unrated", "Unrated"],
];

/** The kernel's query (trait) as the values of the filter controls. */
export function controlsFromQuery(query) {
  const q = query && typeof query === "object" ? query : {};
  const params = q.params && typeof q.params === "object" ? Object.entries(q.params) : [];
  return {
    search: typeof q.search === "string" ? q.search : "",
    model: q.model || "",
    status: Array.isArray(q.status) && q.status.length === 1 ? q.status[0] : "",
    rating: q.rated === false ? "unrated" : q.min_rating ? String(q.min_rating) : "",
    tag: Array.isArray(q.tags) && q.tags.length ? String(q.tags[0]) : "",
    param: params.length ? JSON.stringify(params[0]) : "",
  };
}

/** The filter controls' values as the query the kernel takes. */
export function queryFromControls(values) {
  const query = { search: values.search.trim() };
  if (values.model) query.model = values.model;
  if (values.status) query.status = values.status;
  if (values.rating === "unrated") query.rated = false;
  else if (values.rating) query.min_rating = Number(values.rating);
  if (values.tag) query.tag = values.tag;
  if (values.param) {
    const [name, value] = JSON.parse(values.param);
    query.params = { [name]: value };
  }
  return query;
}

function select(testid, label, options, onchange) {
  return h(
    "select",
    { class: "sdw-select", "data-testid": testid, "aria-label": label, onchange },
    options.map(([value, text]) => h("option", { value, text })),
  );
}

/**
 * @param {object} ctx
 * @param {ReturnType<import("../core/store.js").createStore>} ctx.store
 * @param {() => Map<string, object>} ctx.fieldMap
 */
export function createHistory(ctx) {
  const { store } = ctx;
  let open = true;
  let timer = null;
  let facetsKey = "";
  let page = 1;

  const search = h("input", {
    class: "sdw-history-search",
    "data-testid": "history-search",
    type: "search",
    placeholder: "Search prompts…",
    "aria-label": "Search prompts",
    oninput: () => {
      clearTimeout(timer);
      timer = setTimeout(() => ask(1), SEARCH_DELAY_MS);
    },
    onkeydown: (event) => event.stopPropagation(),
  });
  const ask = (wanted = page) => {
    clearTimeout(timer);
    store.send({ type: "history", query: queryFromControls(values()), page: wanted });
  };
  const filters = {
    model: select("history-model", "Model", [["", "Any model"]], () => ask(1)),
    status: select("history-status", "Status", [["", "Any status"]], () => ask(1)),
    rating: select("history-rating", "Rating", RATINGS, () => ask(1)),
    tag: select("history-tag", "Tag", [["", "Any tag"]], () => ask(1)),
    param: select("history-param", "Parameter", [["", "Any parameter"]], () => ask(1)),
  };
  const values = () => ({
    search: search.value,
    ...Object.fromEntries(Object.entries(filters).map(([k, el]) => [k, el.value])),
  });

  const rows = h("div", { class: "sdw-history-rows", role: "list" });
  const empty = h("div", { class: "sdw-history-empty", text: "No takes match." });
  const summary = h("span", { class: "sdw-count", "data-testid": "history-summary" });
  const label = h("span", { class: "sdw-history-page", "data-testid": "history-page-label" });
  const prev = button({
    class: "sdw-btn sdw-btn-small",
    "data-testid": "history-prev",
    text: "Newer",
    onclick: () => ask(page - 1),
  });
  const next = button({
    class: "sdw-btn sdw-btn-small",
    "data-testid": "history-next",
    text: "Older",
    onclick: () => ask(page + 1),
  });
  const body = h(
    "div",
    { class: "sdw-history-body" },
    h("div", { class: "sdw-history-filters" }, search, Object.values(filters)),
    empty,
    rows,
    h("div", { class: "sdw-history-pager" }, prev, label, next),
  );
  const toggle = button({
    class: "sdw-btn sdw-btn-small sdw-btn-quiet",
    "data-testid": "history-toggle",
    "aria-expanded": "true",
    text: "Hide",
    onclick: () => {
      open = !open;
      show(body, open);
      toggle.textContent = open ? "Hide" : "Show";
      toggle.setAttribute("aria-expanded", String(open));
    },
  });
  const node = h(
    "section",
    { class: "sdw-history", "data-testid": "history-panel", "aria-label": "History" },
    h(
      "div",
      { class: "sdw-panel-head" },
      h("div", { class: "sdw-section-title" }, "History", summary),
      h("span", { class: "sdw-spacer" }),
      toggle,
    ),
    body,
  );

  function fillOptions(facets) {
    const key = JSON.stringify(facets || {});
    if (key === facetsKey) return;
    facetsKey = key;
    const f = facets || {};
    const set = (el, first, options) => {
      const keep = el.value;
      el.replaceChildren(
        ...[first, ...options].map(([value, text]) => h("option", { value, text })),
      );
      el.value = [...el.options].some((o) => o.value === keep) ? keep : "";
    };
    set(
      filters.model,
      ["", "Any model"],
      (f.models || []).map((m) => [m, m]),
    );
    set(
      filters.status,
      ["", "Any status"],
      (f.statuses || []).map((s) => [s, s]),
    );
    set(
      filters.tag,
      ["", "Any tag"],
      (f.tags || []).map((t) => [t, `#${t}`]),
    );
    const known = ctx.fieldMap();
    const params = Object.entries(f.params || {}).flatMap(([name, list]) =>
      (Array.isArray(list) ? list : []).map((value) => [
        JSON.stringify([name, value]),
        `${humanise(name)}: ${formatValue(known.get(name), value)}`,
      ]),
    );
    set(filters.param, ["", "Any parameter"], params);
  }

  function row(record) {
    const params = record.params || {};
    const known = ctx.fieldMap();
    const details = Object.entries(params)
      .filter(([name]) => name !== "prompt")
      .map(([name, value]) =>
        typeof value === "boolean"
          ? `${humanise(name)} ${value ? "on" : "off"}`
          : formatValue(known.get(name), value),
      )
      .join(" · ");
    const when = record.submitted_at ? new Date(record.submitted_at * 1000).toLocaleString() : "";
    return h(
      "article",
      {
        class: "sdw-history-row",
        role: "listitem",
        "data-testid": "history-row",
        "data-generation-id": record.generation_id,
        "data-status": record.status,
      },
      h("span", { class: "sdw-pill", "data-status": record.status, text: record.status }),
      h(
        "div",
        { class: "sdw-history-main" },
        h("p", {
          class: "sdw-history-prompt",
          title: String(params.prompt ?? ""),
          text: shorten(params.prompt ?? "", 140),
        }),
        h(
          "p",
          { class: "sdw-history-meta" },
          h("span", { text: details }),
          record.rating
            ? h("span", {
                class: "sdw-history-stars",
                "data-testid": "history-rating",
                text: "★".repeat(record.rating),
              })
            : null,
          (record.tags || []).map((t) =>
            h("span", { class: "sdw-tag", "data-testid": "history-row-tag", text: t }),
          ),
          h("span", { class: "sdw-cost", text: costText(record.cost) }),
          h("span", { class: "sdw-history-when", text: when }),
        ),
        record.note
          ? h("p", { class: "sdw-history-note", "data-testid": "history-note", text: record.note })
          : null,
      ),
      h(
        "div",
        { class: "sdw-history-actions" },
        button({
          class: "sdw-btn sdw-btn-small",
          "data-testid": "history-open",
          text: "Open",
          title: "Show this take as a card, with its video",
          onclick: () => store.send({ type: "history_open", generation_id: record.generation_id }),
        }),
        button({
          class: "sdw-btn sdw-btn-small sdw-btn-quiet",
          "data-testid": "history-restore",
          text: "Restore",
          title: "Put this take's request into the form",
          onclick: () =>
            store.send({ type: "history_restore", generation_id: record.generation_id }),
        }),
      ),
    );
  }

  function render() {
    const trait = store.historyPage();
    fillOptions(trait.facets);
    const wanted = controlsFromQuery(trait.query);
    if (document.activeElement !== search) search.value = wanted.search;
    for (const [name, el] of Object.entries(filters)) {
      if (document.activeElement !== el) el.value = wanted[name];
    }
    page = Number(trait.page) || 1;
    const records = Array.isArray(trait.records) ? trait.records : [];
    rows.replaceChildren(...records.map(row));
    show(empty, records.length === 0);
    const pages = Math.max(Number(trait.pages) || 1, 1);
    label.textContent = `Page ${page} of ${pages}`;
    prev.disabled = page <= 1;
    next.disabled = page >= pages;
    const total = Number(trait.total) || 0;
    summary.textContent = `${total} take${total === 1 ? "" : "s"}${
      trait.total_cost ? ` · ${formatMoney(trait.total_cost)} billed` : ""
    }`;
  }

  return {
    node,
    render,
    dispose() {
      clearTimeout(timer);
    },
  };
}
