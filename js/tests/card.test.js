// The job card in the DOM, driven by fake job dicts as the kernel will send them.
import { afterEach, describe, expect, it } from "vitest";
import { createCard } from "../src/components/card.js";
import { createStore } from "../src/core/store.js";
import { h } from "../src/util/dom.js";
import { FIELDS, fakeJob, fakeModel, VOCABULARY } from "./fake-model.js";

function mount(job) {
  const model = fakeModel({ vocabulary: VOCABULARY, fields: FIELDS, params: {}, compare: [] });
  const store = createStore(model);
  const card = createCard(job.id, {
    store,
    fields: () => FIELDS,
    fieldMap: () => new Map(FIELDS.map((f) => [f.name, f])),
    compareToggle: (id) => h("button", { "data-testid": "job-compare", "data-job-id": id }),
    flushForm: () => {},
    media: { entry: () => null, player: () => h("div") },
  });
  card.update(job);
  document.body.append(card.node);
  const $ = (testid) => card.node.querySelector(`[data-testid="${testid}"]`);
  const $$ = (testid) => [...card.node.querySelectorAll(`[data-testid="${testid}"]`)];
  return { model, card, $, $$ };
}

afterEach(() => {
  document.body.replaceChildren();
});

describe("job card", () => {
  it("shows status, params and a cancel button while running", () => {
    const { card, $ } = mount(fakeJob({ status: "processing" }));
    expect(card.node.dataset.status).toBe("processing");
    expect(card.node.dataset.jobId).toBe("job-1");
    expect($("job-status").textContent).toBe("processing");
    expect($("job-cancel").hidden).toBe(false);
    expect($("job-new-take").hidden).toBe(true);
    expect(JSON.parse(card.node.dataset.params)).toMatchObject({ aspect_ratio: "9:16" });
    expect(card.node.querySelector(".sdw-job-prompt").textContent).toBe("a red kite");
    expect($("job-notice").hidden).toBe(true);
    expect($("job-unconfirmed").hidden).toBe(true);
  });

  it("cancel: one message, then 'cancelling…' and no cancel button", () => {
    const { model, $ } = mount(fakeJob({ status: "queued" }));
    $("job-cancel").click();
    expect(model.sent).toEqual([{ type: "cancel", job_id: "job-1" }]);
    expect($("job-status").textContent).toBe("cancelling…");
    expect($("job-cancel").hidden).toBe(true);
  });

  it("cancel_requested while submitting: 'cancelling…', cancel hidden", () => {
    const { card, $ } = mount(fakeJob({ status: "submitting", cancel_requested: true }));
    expect(card.node.dataset.status).toBe("submitting");
    expect(card.node.dataset.phase).toBe("cancelling");
    expect($("job-status").textContent).toBe("cancelling…");
    expect($("job-cancel").hidden).toBe(true);
  });

  it("unconfirmed: says what happened, one adopt button per candidate, a resubmit button", () => {
    const job = fakeJob({
      status: "unconfirmed",
      intent_id: "intent-1",
      candidates: ["gen-a", "gen-b"],
    });
    const { model, card, $, $$ } = mount(job);
    expect(card.node.dataset.status).toBe("unconfirmed");
    const box = $("job-unconfirmed");
    expect(box.hidden).toBe(false);
    expect(box.textContent).toContain(
      "The service may have accepted this request, but its answer was lost. " +
        "Nothing was sent again, to avoid paying twice.",
    );
    const candidates = $("job-candidates");
    const adopt = $$("job-adopt");
    expect(adopt.map((b) => b.dataset.generationId)).toEqual(["gen-a", "gen-b"]);
    expect(adopt.every((b) => candidates.contains(b))).toBe(true);
    expect($("job-resubmit").textContent).toBe("Pay for a new generation");
    expect($("job-cancel").hidden).toBe(true);
    expect($("job-new-take").hidden).toBe(true);

    adopt[1].click();
    expect(model.sent).toEqual([{ type: "adopt", job_id: "job-1", generation_id: "gen-b" }]);
    // Waiting for the kernel: the buttons are disabled, a second click sends nothing.
    expect($$("job-adopt").every((b) => b.disabled)).toBe(true);
    expect($("job-resubmit").disabled).toBe(true);
    $("job-resubmit").click();
    expect(model.sent).toHaveLength(1);

    // The kernel adopts: the card follows the generation like any running job.
    card.update(fakeJob({ status: "processing", generation_id: "gen-b" }));
    expect($("job-unconfirmed").hidden).toBe(true);
    expect($("job-cancel").hidden).toBe(false);
  });

  it("unconfirmed with no candidates: only the resubmit button, which sends resubmit", () => {
    const { model, $, $$ } = mount(
      fakeJob({ status: "unconfirmed", intent_id: "i", candidates: [] }),
    );
    expect($$("job-adopt")).toHaveLength(0);
    expect($("job-candidates")).not.toBeNull();
    $("job-resubmit").click();
    expect(model.sent).toEqual([{ type: "resubmit", job_id: "job-1" }]);
    expect($("job-resubmit").disabled).toBe(true);
  });

  it("shows the kernel's notice, and hides it when it goes", () => {
    const notice = "re-downloaded from the same generation: the cached file was missing";
    const { card, $ } = mount(fakeJob({ status: "succeeded", finished_at: 1010, notice }));
    expect($("job-notice").hidden).toBe(false);
    expect($("job-notice").textContent).toBe(notice);
    card.update(fakeJob({ status: "succeeded", finished_at: 1010, notice: null }));
    expect($("job-notice").hidden).toBe(true);
  });

  it("shows errors, take and cache marks, and the finished buttons", () => {
    const { model, $ } = mount(
      fakeJob({
        status: "failed",
        error: "content policy",
        take: 2,
        cached: true,
        finished_at: 1004,
      }),
    );
    expect($("job-error").hidden).toBe(false);
    expect($("job-error").textContent).toBe("content policy");
    expect($("job-elapsed").textContent).toBe("4.0 s");
    expect(document.querySelector(".sdw-job-meta").textContent).toBe("take 2 · cached");
    $("job-new-take").click();
    expect(model.sent).toEqual([{ type: "new_take", job_id: "job-1" }]);
    expect($("job-new-take").disabled).toBe(true);
  });

  it("reuse puts the job's known params back into the form", () => {
    const { model, $ } = mount(fakeJob({ status: "succeeded", params: { prompt: "p", seed: 1 } }));
    $("job-reuse").click();
    expect(model.get("params")).toEqual({ prompt: "p" });
  });

  it("invalidate() redraws the chips with new field metadata", () => {
    const { card } = mount(fakeJob({ status: "succeeded", params: { prompt: "p", duration: -1 } }));
    expect(card.node.querySelector(".sdw-chips").textContent).toBe("Auto");
    card.invalidate();
    card.update(fakeJob({ status: "succeeded", params: { prompt: "p", duration: -1 } }));
    expect(card.node.querySelector(".sdw-chips").textContent).toBe("Auto");
  });
});
