// The list of job cards, in the kernel's order (newest first), with its count and the ticker
// that keeps running cards' elapsed times moving.

import { createTicker } from "../core/ticker.js";
import { h, show } from "../util/dom.js";
import { createCard } from "./card.js";

/** @param {import("./card.js").CardContext} ctx */
export function createJobList(ctx) {
  const { store } = ctx;
  /** @type {Map<string, ReturnType<typeof createCard>>} */
  const cards = new Map();
  const count = h("span", { class: "sdw-count" });
  const list = h("div", { class: "sdw-job-list", role: "list" });
  const empty = h(
    "div",
    { class: "sdw-empty" },
    h("div", { class: "sdw-empty-icon", "aria-hidden": "true" }),
    h("div", { text: "No jobs yet. Describe a shot and press Generate." }),
  );
  const node = h(
    "section",
    { class: "sdw-jobs", "aria-label": "Jobs" },
    h("div", { class: "sdw-section-title" }, "Jobs", count),
    empty,
    list,
  );

  const ticker = createTicker(() => {
    let counting = false;
    for (const card of cards.values()) if (card.tick()) counting = true;
    return counting;
  });

  function render() {
    const seen = new Set();
    let previous = null;
    for (const job of store.jobs()) {
      seen.add(job.id);
      let card = cards.get(job.id);
      if (!card) {
        card = createCard(job.id, ctx);
        cards.set(job.id, card);
      }
      card.update(job);
      // Keep the kernel's order without re-creating nodes.
      const expected = previous ? previous.nextSibling : list.firstChild;
      if (expected !== card.node) {
        if (previous) previous.after(card.node);
        else list.prepend(card.node);
      }
      previous = card.node;
    }
    for (const [id, card] of cards) {
      if (!seen.has(id)) {
        card.dispose();
        card.node.remove();
        cards.delete(id);
      }
    }
    show(empty, cards.size === 0);
    const running = store.vocabulary().running;
    const active = [...cards.values()].filter((c) => running.has(String(c.job?.status))).length;
    count.textContent = cards.size
      ? active
        ? `${cards.size} · ${active} running`
        : String(cards.size)
      : "";
    if ([...cards.values()].some((c) => c.tick())) ticker.ensure();
  }

  return {
    node,
    render,
    /** The field metadata changed: every card redraws its chips and request panel. */
    invalidate() {
      for (const card of cards.values()) card.invalidate();
    },
    /** A job's video arrived or failed. */
    refreshMedia(jobId) {
      cards.get(jobId)?.refreshMedia();
    },
    dispose() {
      ticker.stop();
      for (const card of cards.values()) card.dispose();
    },
  };
}
