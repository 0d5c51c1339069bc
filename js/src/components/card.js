// One job card: status pill, elapsed time and ETA, prompt and parameter chips, the kernel's
// notice, the "answer lost" choice of an unconfirmed job, errors, the video beside its
// request, and the card's actions. What the card shows comes from the state machine in
// core/card-state.js; this module only draws it and turns clicks into its events.

import { describeCard, initialCardState, messageFor, nextCardState } from "../core/card-state.js";
import { button, h, show } from "../util/dom.js";
import {
  elapsedSeconds,
  etaText,
  formatElapsed,
  guessOrientation,
  nowSeconds,
  stableJson,
} from "../util/format.js";
import { mediaSide, unconfirmedParts } from "./card-parts.js";
import { chipFor } from "./chips.js";
import { createJudgment } from "./judgment.js";

/**
 * @typedef {object} CardContext
 * @property {ReturnType<import("../core/store.js").createStore>} store
 * @property {() => object[]} fields the model's fields, in display order
 * @property {() => Map<string, object>} fieldMap fields by name
 * @property {(jobId: string) => HTMLElement} compareToggle
 * @property {() => void} flushForm sends text still waiting for its debounce
 * @property {{entry(job: object): object | null, load(job: object): object | null,
 *             key(job: object, entry: object | null): string, play(job: object): void,
 *             player(job: object, entry: object | null, options?: object): HTMLElement}} media
 */

/**
 * @param {string} id the job's id
 * @param {CardContext} ctx
 */
export function createCard(id, ctx) {
  const { store } = ctx;
  let state = initialCardState();
  let shown = null; // the last describeCard() drawn
  let paramsKey = null; // the params the prompt and chips were drawn for
  let chipsStale = true; // set by invalidate(): the field metadata changed
  let mediaKey = null;
  let newTakeTimer = null;

  const node = h("article", {
    class: "sdw-job",
    "data-testid": "job",
    "data-job-id": id,
    role: "listitem",
  });
  const pill = h("span", { class: "sdw-pill", "data-testid": "job-status" });
  const elapsed = h("span", { class: "sdw-elapsed", "data-testid": "job-elapsed" });
  const eta = h("span", { class: "sdw-eta", "data-testid": "job-eta", hidden: true });
  const meta = h("span", { class: "sdw-job-meta" });
  const cancel = button({
    class: "sdw-btn sdw-btn-small sdw-btn-danger",
    "data-testid": "job-cancel",
    text: "Cancel",
    onclick: () => dispatch({ type: "cancel" }),
  });
  const newTake = button({
    class: "sdw-btn sdw-btn-small",
    "data-testid": "job-new-take",
    text: "New take",
    title: "Generate this request again as a new take (a new video)",
    onclick: () => {
      newTake.disabled = true;
      store.send({ type: "new_take", job_id: id });
      newTakeTimer = setTimeout(() => {
        newTakeTimer = null;
        newTake.disabled = false;
      }, 800);
    },
  });
  const reuse = button({
    class: "sdw-btn sdw-btn-small sdw-btn-quiet",
    "data-testid": "job-reuse",
    text: "Reuse",
    title: "Put these settings back into the form",
    onclick: () => {
      ctx.flushForm();
      store.mergeParams(state.job?.params, ctx.fieldMap());
    },
  });
  const prompt = h("p", { class: "sdw-job-prompt" });
  const chips = h("div", { class: "sdw-chips" });
  const judgment = createJudgment(id, store);
  const notice = h("div", {
    class: "sdw-job-notice",
    "data-testid": "job-notice",
    role: "status",
    hidden: true,
  });
  const unconfirmed = h("div", {
    class: "sdw-job-unconfirmed",
    "data-testid": "job-unconfirmed",
    hidden: true,
  });
  const error = h("div", {
    class: "sdw-job-error",
    "data-testid": "job-error",
    role: "alert",
    hidden: true,
  });
  const media = h("div", { class: "sdw-media", hidden: true });
  const actions = h("div", { class: "sdw-job-actions" }, ctx.compareToggle(id), newTake, reuse);

  node.append(
    h(
      "div",
      { class: "sdw-job-head" },
      pill,
      elapsed,
      eta,
      meta,
      h("span", { class: "sdw-spacer" }),
      cancel,
    ),
    prompt,
    chips,
    judgment.node,
    notice,
    unconfirmed,
    error,
    media,
    actions,
  );

  /** Feed an event to the state machine, send what it implies, redraw. */
  function dispatch(event) {
    const before = state;
    state = nextCardState(state, event, store.vocabulary());
    const message = messageFor(before, state, event);
    if (message) store.send(message);
    draw();
  }

  function draw() {
    const view = describeCard(state);
    const job = state.job || {};
    if (!shown || shown.status !== view.status) {
      node.dataset.status = view.status;
      pill.dataset.status = view.status;
    }
    pill.textContent = view.pill;
    node.dataset.phase = view.phase;
    node.classList.toggle("sdw-running", view.counting);
    show(cancel, view.cancel);
    show(newTake, view.newTake);
    show(reuse, view.reuse);

    const metaBits = [];
    if (job.take && job.take > 1) metaBits.push(`take ${job.take}`);
    if (job.cached) metaBits.push("cached");
    meta.textContent = metaBits.join(" · ");
    show(meta, metaBits.length > 0);
    tick();

    drawRequest(job);
    judgment.update(job);
    notice.textContent = view.notice || "";
    show(notice, view.notice !== null);
    drawUnconfirmed(view.unconfirmed);
    error.textContent = view.error;
    show(error, view.error !== "");
    drawMedia();
    shown = view;
  }

  function drawRequest(job) {
    const params = job.params || {};
    const key = stableJson(params);
    if (!chipsStale && key === paramsKey) return;
    chipsStale = false;
    paramsKey = key;
    node.dataset.params = key;
    prompt.textContent = typeof params.prompt === "string" ? params.prompt : "";
    prompt.title = prompt.textContent;
    const known = ctx.fieldMap();
    const names = [
      ...ctx
        .fields()
        .map((f) => f.name)
        .filter((n) => n in params),
      ...Object.keys(params).filter((n) => !known.has(n)),
    ];
    chips.replaceChildren(
      ...names.filter((n) => n !== "prompt").map((n) => chipFor(known.get(n), n, params[n])),
    );
  }

  function drawUnconfirmed(info) {
    show(unconfirmed, info !== null);
    if (!info) {
      if (unconfirmed.firstChild) unconfirmed.replaceChildren();
      return;
    }
    const key = stableJson(info);
    if (unconfirmed.dataset.key === key) return;
    unconfirmed.dataset.key = key;
    unconfirmed.replaceChildren(...unconfirmedParts(info, dispatch));
  }

  function drawMedia() {
    const job = state.job;
    const entry = ctx.media.entry(job);
    if (!entry) {
      if (mediaKey !== null) media.replaceChildren();
      mediaKey = null;
      show(media, false);
      return;
    }
    const key = `${ctx.media.key(job, entry)}|${job.generation_id || ""}`;
    if (mediaKey === key) return;
    mediaKey = key;
    show(media, true);
    media.dataset.orientation = guessOrientation(job.params);
    const player = ctx.media.player(job, entry, {
      testid: "job-video",
      onOrient: (o) => {
        media.dataset.orientation = o;
      },
    });
    media.replaceChildren(
      h("div", { class: "sdw-player" }, player),
      mediaSide(job, entry, ctx.fieldMap()),
    );
  }

  /** Redraw the elapsed time and ETA; returns whether they are still counting. */
  function tick(now = nowSeconds()) {
    const job = state.job || {};
    const seconds = elapsedSeconds(job, now);
    elapsed.textContent = seconds === null ? "" : formatElapsed(seconds);
    elapsed.title = job.finished_at ? "Total time" : "Elapsed";
    const left = etaText(job, now);
    show(eta, left !== null);
    if (left) {
      eta.textContent = left.text;
      eta.title = left.title;
    }
    const view = describeCard(state);
    return view.counting && (job.finished_at === null || job.finished_at === undefined);
  }

  return {
    id,
    node,
    get job() {
      return state.job;
    },
    get phase() {
      return state.phase;
    },
    /** The kernel's latest dict for this job. */
    update(job) {
      dispatch({ type: "job", job });
    },
    /** The field metadata changed: redraw chips and the request panel next time. */
    invalidate() {
      chipsStale = true;
      mediaKey = null;
    },
    /** The video arrived or failed: rebuild the player. */
    refreshMedia() {
      mediaKey = null;
      drawMedia();
    },
    tick,
    dispose() {
      if (newTakeTimer !== null) clearTimeout(newTakeTimer);
    },
  };
}
