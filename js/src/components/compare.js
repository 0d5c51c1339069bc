// The compare panel: the jobs of the `compare` trait side by side, parameters that differ
// highlighted, play / pause / seek kept together; and the "Compare" toggles on cards and
// gallery cells that fill it.

import { button, h, playQuietly } from "../util/dom.js";
import { stableJson } from "../util/format.js";
import { chipFor, textChip } from "./chips.js";

const SYNC_TOLERANCE_S = 0.15;
const MAX_COLUMNS = 4;

/** The parameter names whose values differ between `jobs` (all names, in first-seen order). */
export function differences(jobs) {
  const names = [];
  for (const job of jobs)
    for (const name of Object.keys(job.params || {})) if (!names.includes(name)) names.push(name);
  const differs = new Set(
    names.filter((name) => new Set(jobs.map((j) => stableJson(j.params?.[name]))).size > 1),
  );
  return { names, differs, takesDiffer: new Set(jobs.map((j) => j.take)).size > 1 };
}

/**
 * @param {object} ctx
 * @param {ReturnType<import("../core/store.js").createStore>} ctx.store
 * @param {() => Map<string, object>} ctx.fieldMap
 * @param {() => ParentNode} ctx.root where the toggles live
 * @param {import("./card.js").CardContext["media"]} ctx.media
 */
export function createCompare(ctx) {
  const { store } = ctx;
  let key = "";
  /** @type {Map<string, {node: HTMLElement, media: HTMLElement, mediaKey: string | null,
   *                      video: HTMLVideoElement | null}>} */
  let columns = new Map();

  const play = button({
    class: "sdw-btn sdw-btn-small sdw-btn-primary-soft",
    "data-testid": "compare-play",
    text: "Play all",
    onclick: playOrPauseAll,
  });
  const clear = button({
    class: "sdw-btn sdw-btn-small sdw-btn-quiet",
    "data-testid": "compare-clear",
    text: "Clear",
    onclick: () => store.setCompare([]),
  });
  const grid = h("div", { class: "sdw-compare-grid" });
  const note = h("span", { class: "sdw-count" });
  const node = h(
    "section",
    { class: "sdw-compare", "data-testid": "compare-panel", "aria-label": "Compare", hidden: true },
    h(
      "div",
      { class: "sdw-panel-head" },
      h("div", { class: "sdw-section-title" }, "Compare", note),
      h("span", { class: "sdw-spacer" }),
      play,
      clear,
    ),
    grid,
  );

  /** A "Compare" toggle for a card or gallery cell. */
  function toggle(jobId) {
    const id = String(jobId);
    return button(
      {
        class: "sdw-btn sdw-btn-small sdw-toggle",
        "data-testid": "job-compare",
        "data-job-id": id,
        "aria-pressed": String(store.compareIds().includes(id)),
        title: "Show this job in the compare panel",
        onclick: () => store.toggleCompare(id),
      },
      h("span", { class: "sdw-check", "aria-hidden": "true" }),
      "Compare",
    );
  }

  function syncToggles() {
    const ids = new Set(store.compareIds());
    for (const btn of ctx.root().querySelectorAll('[data-testid="job-compare"]')) {
      btn.setAttribute("aria-pressed", String(ids.has(btn.dataset.jobId)));
    }
  }

  const videos = () => [...columns.values()].map((c) => c.video).filter(Boolean);

  function updatePlay() {
    const all = videos();
    const playing = all.some((v) => !v.paused && !v.ended);
    play.textContent = playing ? "Pause all" : "Play all";
    play.disabled = all.length === 0;
    play.setAttribute("aria-pressed", String(playing));
  }

  function playOrPauseAll() {
    const all = videos();
    if (!all.length) return;
    if (all.some((v) => !v.paused && !v.ended)) {
      for (const v of all) v.pause();
    } else {
      const start = all.every((v) => v.ended) ? 0 : Math.min(...all.map((v) => v.currentTime));
      for (const v of all) {
        v.currentTime = start;
        playQuietly(v);
      }
    }
    updatePlay();
  }

  /** Keep the compared videos together: play, pause and seek on one reach the others. */
  function link(video) {
    const others = () => videos().filter((v) => v !== video);
    const align = () => {
      for (const v of others()) {
        if (Math.abs(v.currentTime - video.currentTime) > SYNC_TOLERANCE_S)
          v.currentTime = video.currentTime;
      }
    };
    video.addEventListener("play", () => {
      align();
      for (const v of others()) if (v.paused) playQuietly(v);
      updatePlay();
    });
    video.addEventListener("pause", () => {
      for (const v of others()) if (!v.paused) v.pause();
      updatePlay();
    });
    video.addEventListener("seeked", align);
    video.addEventListener("ended", updatePlay);
  }

  function buildColumns(jobs, previous) {
    const { names, differs, takesDiffer } = differences(jobs);
    const known = ctx.fieldMap();
    // Cards of different models side by side: the model leads, highlighted when it differs.
    const modelsDiffer = new Set(jobs.map((j) => j.model)).size > 1;
    const modelNames = new Map(store.models().map((m) => [m.id, m.display_name || m.id]));
    const next = new Map();
    for (const job of jobs) {
      const old = previous.get(job.id);
      const media = old ? old.media : h("div", { class: "sdw-compare-media" });
      const params = job.params || {};
      const chips = names
        .filter((n) => n !== "prompt" && n in params)
        .map((n) => {
          const chip = chipFor(known.get(n), n, params[n]);
          if (differs.has(n)) chip.classList.add("sdw-diff");
          return chip;
        });
      if (job.take > 1 || takesDiffer)
        chips.push(textChip(`take ${job.take}`, takesDiffer ? "sdw-diff" : ""));
      const model = textChip(
        modelNames.get(job.model) || String(job.model || ""),
        "sdw-chip-model",
      );
      model.dataset.testid = "compare-model";
      if (modelsDiffer) model.classList.add("sdw-diff");
      chips.unshift(model);
      const prompt = String(params.prompt || "");
      const col = h(
        "div",
        { class: "sdw-compare-col", "data-job-id": job.id },
        media,
        h(
          "div",
          { class: "sdw-compare-caption" },
          h("p", {
            class: `sdw-compare-prompt${differs.has("prompt") ? " sdw-diff" : ""}`,
            text: prompt,
            title: prompt,
          }),
          h("div", { class: "sdw-chips" }, chips),
        ),
        button({
          class: "sdw-icon-btn",
          title: "Remove from compare",
          "aria-label": "Remove from compare",
          text: "×",
          onclick: () => store.setCompare(store.compareIds().filter((x) => x !== job.id)),
        }),
      );
      next.set(job.id, {
        node: col,
        media,
        mediaKey: old?.mediaKey ?? null,
        video: old?.video ?? null,
      });
    }
    return next;
  }

  function render() {
    syncToggles();
    const jobs = store.jobsById();
    const ids = store.compareIds().filter((id) => jobs.has(id));
    node.hidden = ids.length === 0;
    const nextKey = ids.join(",");
    if (nextKey !== key) {
      key = nextKey;
      const previous = columns;
      columns = buildColumns(
        ids.map((id) => jobs.get(id)),
        previous,
      );
      for (const [id, col] of previous) if (!columns.has(id) && col.video) col.video.pause();
      grid.replaceChildren(...[...columns.values()].map((c) => c.node));
      grid.style.setProperty("--sdw-cols", String(Math.min(ids.length, MAX_COLUMNS)));
      note.textContent =
        ids.length === 1
          ? "pick another job to compare with"
          : `${ids.length} jobs · differences highlighted`;
    }
    for (const [id, col] of columns) {
      const job = jobs.get(id);
      const entry = ctx.media.load(job);
      const mk = ctx.media.key(job, entry);
      if (col.mediaKey === mk) continue;
      col.mediaKey = mk;
      const player = ctx.media.player(job, entry, { compact: true });
      col.video = player.tagName === "VIDEO" ? player : null;
      if (col.video) link(col.video);
      col.media.replaceChildren(player);
    }
    updatePlay();
  }

  return {
    node,
    toggle,
    render,
    /** A job's video arrived or failed. */
    refreshMedia(jobId) {
      const col = columns.get(jobId);
      if (!col) return;
      col.mediaKey = null;
      render();
    },
    dispose() {
      for (const v of videos()) v.pause();
    },
  };
}
