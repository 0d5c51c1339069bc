import { describe, expect, it } from "vitest";
import {
  describeCard,
  initialCardState,
  messageFor,
  nextCardState,
  UNCONFIRMED_TEXT,
} from "../src/core/card-state.js";
import { readVocabulary } from "../src/core/vocabulary.js";
import { fakeJob, VOCABULARY } from "./fake-model.js";

const vocab = readVocabulary(VOCABULARY);
const step = (state, event) => nextCardState(state, event, vocab);
const withJob = (overrides) => step(initialCardState(), { type: "job", job: fakeJob(overrides) });

describe("card state machine", () => {
  it("places statuses from the vocabulary", () => {
    expect(withJob({ status: "submitting" }).phase).toBe("running");
    expect(withJob({ status: "queued" }).phase).toBe("running");
    expect(withJob({ status: "processing" }).phase).toBe("running");
    for (const status of ["succeeded", "failed", "cancelled", "error"]) {
      expect(withJob({ status }).phase).toBe("finished");
    }
    expect(withJob({ status: "unconfirmed", candidates: [] }).phase).toBe("unconfirmed");
    expect(withJob({ status: "teleported" }).phase).toBe("other");
    // No vocabulary: nothing is running.
    const bare = nextCardState(
      initialCardState(),
      { type: "job", job: fakeJob() },
      readVocabulary(),
    );
    expect(bare.phase).toBe("other");
  });

  it("running: cancel shown, new take and reuse hidden; finished: the reverse", () => {
    const running = describeCard(withJob({ status: "processing" }));
    expect(running).toMatchObject({ cancel: true, newTake: false, reuse: false, counting: true });
    expect(running.pill).toBe("processing");
    const done = describeCard(withJob({ status: "succeeded", finished_at: 1010 }));
    expect(done).toMatchObject({ cancel: false, newTake: true, reuse: true, counting: false });
  });

  it("a cancel click moves a running card to cancelling and sends one cancel", () => {
    const before = withJob({ status: "queued" });
    const after = step(before, { type: "cancel" });
    expect(after.phase).toBe("cancelling");
    expect(messageFor(before, after, { type: "cancel" })).toEqual({
      type: "cancel",
      job_id: "job-1",
    });
    const again = step(after, { type: "cancel" });
    expect(again).toBe(after);
    expect(messageFor(after, again, { type: "cancel" })).toBeNull();
    const view = describeCard(after);
    expect(view).toMatchObject({ pill: "cancelling…", cancel: false, counting: true });
    // The kernel's next update keeps it cancelling while running, and ends it when done.
    expect(step(after, { type: "job", job: fakeJob({ status: "processing" }) }).phase).toBe(
      "cancelling",
    );
    const ended = step(after, { type: "job", job: fakeJob({ status: "cancelled" }) });
    expect(ended.phase).toBe("finished");
    expect(ended.cancelSent).toBe(false);
  });

  it("cancel_requested while submitting: 'cancelling…' and no cancel button", () => {
    const state = withJob({ status: "submitting", cancel_requested: true });
    expect(state.phase).toBe("cancelling");
    const view = describeCard(state);
    expect(view.pill).toBe("cancelling…");
    expect(view.cancel).toBe(false);
    expect(view.status).toBe("submitting");
    expect(describeCard(withJob({ status: "submitting", cancel_requested: false })).cancel).toBe(
      true,
    );
  });

  it("a cancel click on a finished card does nothing", () => {
    const done = withJob({ status: "failed" });
    expect(step(done, { type: "cancel" })).toBe(done);
  });

  it("unconfirmed: neither running nor terminal, explains and offers the candidates", () => {
    const state = withJob({
      status: "unconfirmed",
      intent_id: "int-9",
      candidates: ["gen-a", "gen-b"],
    });
    const view = describeCard(state);
    expect(view).toMatchObject({ cancel: false, newTake: false, reuse: true, counting: false });
    expect(view.unconfirmed).toEqual({
      text: UNCONFIRMED_TEXT,
      candidates: ["gen-a", "gen-b"],
      intentId: "int-9",
      busy: false,
      choice: null,
    });
    expect(UNCONFIRMED_TEXT).toContain("its answer was lost");
    expect(UNCONFIRMED_TEXT).toContain("to avoid paying twice");
    expect(describeCard(withJob({ status: "queued" })).unconfirmed).toBeNull();
  });

  it("adopting a candidate sends adopt once and waits for the kernel", () => {
    const before = withJob({
      status: "unconfirmed",
      intent_id: "i",
      candidates: ["gen-a", "gen-b"],
    });
    const event = { type: "adopt", generationId: "gen-b" };
    const after = step(before, event);
    expect(after.phase).toBe("choosing");
    expect(messageFor(before, after, event)).toEqual({
      type: "adopt",
      job_id: "job-1",
      generation_id: "gen-b",
    });
    expect(describeCard(after).unconfirmed.busy).toBe(true);
    // A second click (or a resubmit) while the choice travels does nothing.
    expect(step(after, { type: "resubmit" })).toBe(after);
    expect(step(after, { type: "adopt", generationId: "gen-a" })).toBe(after);
    // The kernel answers: the job follows the adopted generation.
    const adopted = step(after, {
      type: "job",
      job: fakeJob({ status: "processing", generation_id: "gen-b" }),
    });
    expect(adopted.phase).toBe("running");
    expect(adopted.choice).toBeNull();
  });

  it("an id that is not a candidate is refused", () => {
    const before = withJob({ status: "unconfirmed", candidates: ["gen-a"] });
    expect(step(before, { type: "adopt", generationId: "gen-z" })).toBe(before);
  });

  it("resubmit sends resubmit, also with no candidates", () => {
    const before = withJob({ status: "unconfirmed", intent_id: "i", candidates: [] });
    expect(describeCard(before).unconfirmed.candidates).toEqual([]);
    const after = step(before, { type: "resubmit" });
    expect(after.phase).toBe("choosing");
    expect(messageFor(before, after, { type: "resubmit" })).toEqual({
      type: "resubmit",
      job_id: "job-1",
    });
  });

  it("a choice on a card that is not unconfirmed does nothing", () => {
    const running = withJob({ status: "queued" });
    expect(step(running, { type: "resubmit" })).toBe(running);
  });

  it("shows the kernel's notice and error", () => {
    const view = describeCard(
      withJob({ status: "succeeded", notice: "finished before the cancel arrived", error: null }),
    );
    expect(view.notice).toBe("finished before the cancel arrived");
    expect(view.error).toBe("");
    expect(describeCard(withJob({ notice: null })).notice).toBeNull();
    expect(describeCard(withJob({ notice: "  " })).notice).toBeNull();
    expect(describeCard(withJob({ status: "failed", error: "content policy" })).error).toBe(
      "content policy",
    );
  });

  it("unknown events leave the state alone", () => {
    const state = withJob({});
    expect(step(state, { type: "dance" })).toBe(state);
  });
});
