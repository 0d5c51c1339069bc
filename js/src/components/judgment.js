// What a person thinks of a take, on its card: 1-5 stars (the current one again clears
// them), a note saved on demand, tags added by typing and removed with ×; and what the take
// cost. Each change is one message to the kernel, which appends it to the ledger.

import { button, h, show } from "../util/dom.js";
import { costText } from "../util/money.js";

const STARS = [1, 2, 3, 4, 5];

/** Tag names from what was typed: split on commas, trimmed, empty ones dropped. */
export function parseTags(text) {
  return [
    ...new Set(
      String(text)
        .split(",")
        .map((t) => t.trim())
        .filter(Boolean),
    ),
  ];
}

/**
 * @param {string} jobId
 * @param {{send(content: object): void}} store
 */
export function createJudgment(jobId, store) {
  let job = {};
  let savedNote = "";
  const stars = STARS.map((n) =>
    button({
      class: "sdw-star",
      "data-testid": "job-star",
      "data-value": String(n),
      "aria-pressed": "false",
      "aria-label": `${n} star${n > 1 ? "s" : ""}`,
      title: `${n} star${n > 1 ? "s" : ""} (click again to clear)`,
      text: "★",
      onclick: () =>
        store.send({ type: "rate", job_id: jobId, rating: job.rating === n ? null : n }),
    }),
  );
  const starRow = h(
    "div",
    { class: "sdw-stars", "data-testid": "job-stars", role: "group", "aria-label": "Rating" },
    stars,
  );
  const tagList = h("ul", { class: "sdw-tags", "data-testid": "job-tags" });
  const tagInput = h("input", {
    class: "sdw-tag-input",
    "data-testid": "job-tag-input",
    type: "text",
    placeholder: "+ tag",
    "aria-label": "Add tags (comma-separated, Enter to add)",
    onkeydown: (event) => {
      if (event.key !== "Enter") return;
      event.preventDefault();
      event.stopPropagation();
      const tags = parseTags(tagInput.value);
      if (tags.length) store.send({ type: "tag", job_id: jobId, tags });
      tagInput.value = "";
    },
  });
  const note = h("textarea", {
    class: "sdw-note",
    "data-testid": "job-note",
    rows: 2,
    placeholder: "Note",
    "aria-label": "Note",
    oninput: () => show(saveNote, note.value !== savedNote),
    onkeydown: (event) => {
      event.stopPropagation(); // typing is not a notebook shortcut
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) saveNow();
    },
  });
  const saveNote = button({
    class: "sdw-btn sdw-btn-small",
    "data-testid": "job-note-save",
    text: "Save note",
    hidden: true,
    onclick: saveNow,
  });
  const cost = h("span", { class: "sdw-cost", "data-testid": "job-cost" });
  const judged = h(
    "div",
    { class: "sdw-judgment" },
    h("div", { class: "sdw-judgment-row" }, starRow, tagList, tagInput),
    h("div", { class: "sdw-note-row" }, note, saveNote),
  );
  const node = h("div", { class: "sdw-judgment-wrap" }, judged, cost);

  function saveNow() {
    savedNote = note.value;
    store.send({ type: "note", job_id: jobId, text: note.value });
    show(saveNote, false);
  }

  /** Draw the kernel's view of the job (a note being edited is left alone). */
  function update(next) {
    job = next || {};
    show(judged, Boolean(job.generation_id));
    for (const star of stars) {
      const value = Number(star.dataset.value);
      star.setAttribute("aria-pressed", String(job.rating >= value));
    }
    starRow.dataset.rating = job.rating ? String(job.rating) : "";
    const tags = Array.isArray(job.tags) ? job.tags.map(String) : [];
    if (tagList.dataset.key !== JSON.stringify(tags)) {
      tagList.dataset.key = JSON.stringify(tags);
      tagList.replaceChildren(
        ...tags.map((tag) =>
          h(
            "li",
            { class: "sdw-tag", "data-testid": "job-tag", "data-tag": tag },
            h("span", { text: tag }),
            button({
              class: "sdw-tag-remove",
              "data-testid": "job-untag",
              "aria-label": `Remove tag ${tag}`,
              text: "×",
              onclick: () => store.send({ type: "untag", job_id: jobId, tags: [tag] }),
            }),
          ),
        ),
      );
    }
    const kernelNote = typeof job.note === "string" ? job.note : "";
    if (document.activeElement !== note && note.value === savedNote) {
      note.value = kernelNote;
      show(saveNote, false);
    }
    savedNote = kernelNote;
    show(saveNote, note.value !== savedNote);
    cost.textContent = costText(job.cost);
    cost.dataset.kind = job.cost?.kind || "";
    cost.title =
      job.cost?.kind === "estimate"
        ? "Estimated from the model's prices; the billed cost is read once the job is final"
        : job.cost?.kind === "billed"
          ? "What the service billed for this take"
          : "The service reported no cost for this take";
  }

  return { node, update };
}
