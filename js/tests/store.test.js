import { describe, expect, it, vi } from "vitest";
import { createFeed } from "../src/core/feed.js";
import { createStore } from "../src/core/store.js";
import { fakeModel, VOCABULARY } from "./fake-model.js";

describe("store: every write and redraw goes through one place", () => {
  it("writes a trait, saves it, and redraws once when the model echoes the change", () => {
    const model = fakeModel({ params: { prompt: "a" } });
    const store = createStore(model);
    const redraw = vi.fn();
    store.subscribe(["params"], redraw);
    store.setParam("resolution", "480p");
    expect(model.get("params")).toEqual({ prompt: "a", resolution: "480p" });
    expect(model.saves).toBe(1);
    expect(redraw).toHaveBeenCalledTimes(1);
  });

  it("redraws once itself when the host does not echo local sets", () => {
    const model = fakeModel({ compare: [] }, { echo: false });
    const store = createStore(model);
    const redraw = vi.fn();
    store.subscribe(["compare"], redraw);
    store.toggleCompare("j1");
    expect(model.get("compare")).toEqual(["j1"]);
    expect(redraw).toHaveBeenCalledTimes(1);
  });

  it("redraws on the kernel's changes, saying which jobs changed", () => {
    const model = fakeModel({});
    const jobs = createFeed("jobs");
    const store = createStore(model, { jobs });
    const redraw = vi.fn();
    store.subscribe(["jobs", "gallery"], redraw);
    jobs.receive({ type: "feed", topic: "jobs", snapshot: true, items: [{ id: 7, rev: 1 }] });
    model.kernelSet("gallery", {});
    expect(redraw.mock.calls).toEqual([
      ["jobs", { changed: new Set(["7"]), reordered: true }],
      ["gallery", undefined],
    ]);
    expect(store.jobs()).toEqual([{ id: "7", rev: 1 }]);
    expect(store.job("7")).toEqual({ id: "7", rev: 1 });
  });

  it("removes a param with undefined and merges only known fields", () => {
    const model = fakeModel({ params: { prompt: "a", duration: 5 } });
    const store = createStore(model);
    store.setParam("duration", undefined);
    expect(model.get("params")).toEqual({ prompt: "a" });
    store.mergeParams({ prompt: "b", seed: 3 }, new Map([["prompt", {}]]));
    expect(model.get("params")).toEqual({ prompt: "b" });
    const saves = model.saves;
    store.mergeParams({ prompt: "b" }, new Map([["prompt", {}]]));
    expect(model.saves).toBe(saves); // nothing changed, nothing sent
  });

  it("toggles compare ids as strings", () => {
    const model = fakeModel({ compare: ["a"] });
    const store = createStore(model);
    store.toggleCompare(5);
    expect(model.get("compare")).toEqual(["a", "5"]);
    store.toggleCompare("a");
    expect(model.get("compare")).toEqual(["5"]);
    store.setCompare([]);
    expect(model.get("compare")).toEqual([]);
  });

  it("reads the vocabulary into sets, and keeps no copies of its own", () => {
    const model = fakeModel({ vocabulary: VOCABULARY });
    const store = createStore(model);
    const vocab = store.vocabulary();
    expect(vocab.running.has("queued")).toBe(true);
    expect(vocab.running.has("unconfirmed")).toBe(false);
    expect(vocab.terminal.has("unconfirmed")).toBe(false);
    expect(vocab.statuses).toContain("unconfirmed");
    expect(vocab.flavours.map((f) => f.label)).toEqual(["Toolkit", "httpx", "cURL"]);
    expect(store.vocabulary()).toBe(vocab); // cached while the trait is the same object
    model.kernelSet("vocabulary", { ...VOCABULARY, running: ["processing"] });
    expect(store.vocabulary().running.has("queued")).toBe(false);
    const empty = createStore(fakeModel({})).vocabulary();
    expect([...empty.running]).toEqual([]);
    expect(empty.flavours).toEqual([]);
  });

  it("tolerates malformed traits", () => {
    const store = createStore(fakeModel({ params: [1], compare: null, fields: [null, {}] }));
    expect(store.jobs()).toEqual([]);
    expect(store.params()).toEqual({});
    expect(store.compareIds()).toEqual([]);
    expect(store.fields()).toEqual([]);
  });

  it("a failing listener does not stop the others, and dispose unhooks the model", () => {
    const model = fakeModel({ error: "" });
    const store = createStore(model);
    const error = vi.spyOn(console, "error").mockImplementation(() => {});
    const after = vi.fn();
    store.subscribe(["error"], () => {
      throw new Error("boom");
    });
    store.subscribe(["error"], after);
    model.kernelSet("error", "bad");
    expect(after).toHaveBeenCalledOnce();
    expect(error).toHaveBeenCalled();
    store.dispose();
    expect(model.listenerCount()).toBe(0);
  });

  it("sends one-off messages", () => {
    const model = fakeModel();
    createStore(model).send({ type: "generate" });
    expect(model.sent).toEqual([{ type: "generate" }]);
  });
});
