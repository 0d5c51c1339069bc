// The list of job cards, in the kernel's order (newest first), with its count and the ticker
// that keeps running cards' elapsed times moving. Windowed (core/windowed-list.js): only the
// cards near the viewport exist; a feed update redraws only the cards of the jobs it names.

import { createTicker } from "../core/ticker.js";
import { createWindowedList } from "../core/windowed-list.js";
import { h, show } from "../util/dom.js";
import { createCard } from "./card.js";

/** A card's height before it was ever measured (a finished card with its poster). */
const CARD_ESTIMATE_PX = 260;
/** Up to this many cards the list stays whole (see windowed-list.js `keepAll`). */
const KEEP_ALL_CARDS = 24;

/** @param {import("./card.js").CardContext} ctx */
export function createJobList(ctx) {
  const { store } = ctx;
  const count = h("span", { class: "sdw-count" });
  const list = h("div", { class: "sdw-job-list", role: "list" });
  const emptyText = h("div", { "data-testid": "jobs-empty" });
  const empty = h(
    "div",
    { class: "sdw-empty" },
    h("div", { class: "sdw-empty-icon", "aria-hidden": "true" }),
    emptyText,
  );
  const node = h(
    "section",
    { class: "sdw-jobs", "aria-label": "Jobs" },
    h("div", { class: "sdw-section-title" }, "Jobs", count),
    empty,
    list,
  );

  const cards = createWindowedList({
    container: list,
    estimate: CARD_ESTIMATE_PX,
    slotClass: "sdw-slot sdw-job-slot",
    keepAll: () => store.jobCount() <= KEEP_ALL_CARDS,
    mount(id) {
      const card = createCard(id, ctx);
      const job = store.job(id);
      if (job) card.update(job);
      if (card.tick()) ticker.ensure();
      return card;
    },
  });

  const ticker = createTicker(() => {
    let counting = false;
    for (const card of cards.mounted()) if (card.tick()) counting = true;
    return counting;
  });

  /**
   * Redraw after the jobs changed: `change` (from the feed) names the jobs that did; without
   * it every shown card is redrawn.
   * @param {{changed: Set<string>, reordered: boolean}} [change]
   */
  function render(change) {
    const jobs = store.jobs();
    if (!change || change.reordered) cards.setKeys(jobs.map((job) => job.id));
    const ids = change ? change.changed : jobs.map((job) => job.id);
    for (const id of ids) {
      const job = store.job(id);
      if (job) cards.item(id)?.update(job);
    }
    show(empty, jobs.length === 0);
    emptyText.textContent = store.jobsSynced()
      ? "No jobs yet. Describe a shot and press Generate."
      : "Waiting for the kernel: run the cell to see this studio's jobs.";
    const running = store.vocabulary().running;
    const active = jobs.filter((job) => running.has(String(job.status))).length;
    count.textContent = jobs.length
      ? active
        ? `${jobs.length} · ${active} running`
        : String(jobs.length)
      : "";
    if ([...cards.mounted()].some((card) => card.tick())) ticker.ensure();
  }

  return {
    node,
    render,
    /** The field metadata changed: every card redraws its chips and request panel. */
    invalidate() {
      for (const card of cards.mounted()) card.invalidate();
    },
    /** A job's video or poster arrived or failed. */
    refreshMedia(jobId) {
      cards.item(jobId)?.refreshMedia();
    },
    dispose() {
      ticker.stop();
      cards.dispose();
    },
  };
}
