// Parts of a job card that are plain functions of their data: the box of an unconfirmed job
// (what happened, the candidates, the paid way out) and the request beside the video.

import { button, h } from "../util/dom.js";
import { formatValue, humanise } from "../util/format.js";

/**
 * The contents of the unconfirmed box.
 * @param {NonNullable<ReturnType<import("../core/card-state.js").describeCard>["unconfirmed"]>} info
 * @param {(event: object) => void} dispatch the card's state machine
 */
export function unconfirmedParts(info, dispatch) {
  const chosen = (candidate) =>
    info.choice?.type === "adopt" && info.choice.generationId === candidate;
  const candidates = info.candidates.map((candidate) =>
    button(
      {
        class: "sdw-btn sdw-btn-small",
        "data-testid": "job-adopt",
        "data-generation-id": candidate,
        title: `Use generation ${candidate}: nothing is paid again`,
        disabled: info.busy,
        "aria-pressed": chosen(candidate) ? "true" : null,
        onclick: () => dispatch({ type: "adopt", generationId: candidate }),
      },
      h("span", { text: chosen(candidate) ? "Using " : "Use " }),
      h("span", { class: "sdw-mono", text: candidate }),
    ),
  );
  const resubmitting = info.choice?.type === "resubmit";
  return [
    h("p", { class: "sdw-unconfirmed-text", text: info.text }),
    h(
      "div",
      { class: "sdw-candidates", "data-testid": "job-candidates" },
      info.candidates.length
        ? h("span", { class: "sdw-candidates-label", text: "It may be one of these:" })
        : h("span", {
            class: "sdw-candidates-label",
            text: "No generation matching it was found.",
          }),
      candidates,
    ),
    h(
      "div",
      { class: "sdw-unconfirmed-actions" },
      button({
        class: "sdw-btn sdw-btn-small sdw-btn-danger",
        "data-testid": "job-resubmit",
        text: resubmitting ? "Paying for a new generation…" : "Pay for a new generation",
        title: "Send the request again: a new generation, paid again",
        disabled: info.busy,
        onclick: () => dispatch({ type: "resubmit" }),
      }),
    ),
  ];
}

/**
 * The request, and the download link once the video is here, beside the player.
 * @param {Map<string, object>} known fields by name
 */
export function mediaSide(job, entry, known) {
  const side = h(
    "div",
    { class: "sdw-media-side" },
    h("div", { class: "sdw-side-title", text: "Request" }),
    requestPanel(job, known),
  );
  if (entry.state === "ready") {
    side.append(
      h(
        "div",
        { class: "sdw-media-actions" },
        h(
          "a",
          {
            class: "sdw-btn sdw-btn-small",
            "data-testid": "job-download",
            href: entry.url,
            download: entry.name,
            title: `Download ${entry.name}`,
          },
          h("span", { class: "sdw-dl-icon", "aria-hidden": "true" }),
          "Download",
        ),
        h("span", { class: "sdw-file", text: entry.name, title: entry.name }),
      ),
    );
  }
  return side;
}

function requestPanel(job, known) {
  const rows = [];
  const add = (label, value, mono) =>
    rows.push(h("dt", { text: label }), h("dd", { class: mono ? "sdw-mono" : null, text: value }));
  for (const [name, value] of Object.entries(job.params || {})) {
    if (name !== "prompt") add(humanise(name), formatValue(known.get(name), value));
  }
  if (job.model) add("Model", job.model, true);
  if (job.generation_id) add("Generation", job.generation_id, true);
  return h("dl", { class: "sdw-request", "data-testid": "job-request" }, rows);
}
