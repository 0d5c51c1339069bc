// The judging parts of the front end, driven like the kernel drives them: a card's stars,
// note and tags; the history panel's query round trip; the blind panel; money text.
import { afterEach, describe, expect, it } from "vitest";
import { createBlind } from "../src/components/blind.js";
import { controlsFromQuery, createHistory, queryFromControls } from "../src/components/history.js";
import { createJudgment, parseTags } from "../src/components/judgment.js";
import { planText } from "../src/components/sweep-preview.js";
import { createStore } from "../src/core/store.js";
import { VideoCache } from "../src/core/video-cache.js";
import { h } from "../src/util/dom.js";
import { costText, formatMoney } from "../src/util/money.js";
import { FIELDS, fakeJob, fakeModel, VOCABULARY } from "./fake-model.js";

afterEach(() => document.body.replaceChildren());

const $ = (node, testid) => node.querySelector(`[data-testid="${testid}"]`);
const $$ = (node, testid) => [...node.querySelectorAll(`[data-testid="${testid}"]`)];

describe("money", () => {
  it("shows decimal text as dollars, estimates as such, and never a made-up zero", () => {
    expect(formatMoney("0.7")).toBe("$0.70");
    expect(formatMoney("12.345")).toBe("$12.345");
    expect(costText({ kind: "billed", amount: "0.32" })).toBe("$0.32");
    expect(costText({ kind: "estimate", amount: "0.40" })).toBe("≈ $0.40 estimate");
    expect(costText({ kind: "unreported", amount: null })).toBe("cost not reported");
    expect(planText({ cached: 2, new: 2, new_cost: "0.64", budget_left: "-0.10" })).toBe(
      "2 cached · 2 new ≈ $0.64 estimated · $0.00 of the budget left",
    );
  });
});

describe("judgment on a card", () => {
  function mount(job) {
    const model = fakeModel({ vocabulary: VOCABULARY });
    const judgment = createJudgment(job.id, createStore(model));
    judgment.update(job);
    document.body.append(judgment.node);
    return { model, judgment, node: judgment.node };
  }

  it("stars rate, the same star again clears, tags are added and removed", () => {
    const job = fakeJob({ generation_id: "g-1", status: "succeeded", rating: 3, tags: ["kite"] });
    const { model, judgment, node } = mount(job);
    const stars = $$(node, "job-star");
    expect(stars.map((s) => s.getAttribute("aria-pressed"))).toEqual([
      "true",
      "true",
      "true",
      "false",
      "false",
    ]);
    stars[4].click();
    stars[2].click();
    const input = $(node, "job-tag-input");
    input.value = " best, demo ,best,";
    input.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter" }));
    $(node, "job-untag").click();
    expect(model.sent).toEqual([
      { type: "rate", job_id: "job-1", rating: 5 },
      { type: "rate", job_id: "job-1", rating: null },
      { type: "tag", job_id: "job-1", tags: ["best", "demo"] },
      { type: "untag", job_id: "job-1", tags: ["kite"] },
    ]);
    judgment.update({ ...job, tags: ["kite", "best"] });
    expect($$(node, "job-tag").map((t) => t.dataset.tag)).toEqual(["kite", "best"]);
    expect(parseTags(",,a, b ,a")).toEqual(["a", "b"]);
  });

  it("a note is saved on demand and a kernel update does not overwrite a draft", () => {
    const job = fakeJob({ generation_id: "g-1", status: "succeeded", note: "old" });
    const { model, judgment, node } = mount(job);
    const note = $(node, "job-note");
    expect(note.value).toBe("old");
    expect($(node, "job-note-save").hidden).toBe(true);
    note.value = "draft";
    note.dispatchEvent(new Event("input"));
    judgment.update({ ...job, rating: 2 });
    expect(note.value).toBe("draft");
    $(node, "job-note-save").click();
    expect(model.sent).toEqual([{ type: "note", job_id: "job-1", text: "draft" }]);
  });

  it("hides the controls until there is a take, and shows what it cost", () => {
    const { judgment, node } = mount(
      fakeJob({ status: "submitting", cost: { kind: "estimate", amount: "0.4" } }),
    );
    expect(node.querySelector(".sdw-judgment").hidden).toBe(true);
    expect($(node, "job-cost").textContent).toBe("≈ $0.40 estimate");
    judgment.update(fakeJob({ generation_id: "g", cost: { kind: "unreported", amount: null } }));
    expect(node.querySelector(".sdw-judgment").hidden).toBe(false);
    expect($(node, "job-cost").textContent).toBe("cost not reported");
  });
});

describe("history panel", () => {
  const PAGE = {
    query: { search: "kite", tags: ["best"], min_rating: 4, status: [], params: {} },
    page: 1,
    pages: 2,
    total: 13,
    total_cost: "4.16",
    facets: {
      models: ["m"],
      statuses: ["succeeded", "failed"],
      tags: ["best"],
      params: { aspect_ratio: ["16:9", "9:16"] },
    },
    records: [
      {
        generation_id: "g-1",
        params: { prompt: "a kite", aspect_ratio: "16:9" },
        status: "succeeded",
        rating: 5,
        tags: ["best"],
        note: "keep",
        cost: { kind: "billed", amount: "0.32" },
        submitted_at: 1000,
      },
    ],
  };

  function mount(trait) {
    const model = fakeModel({ history_page: trait, fields: FIELDS, vocabulary: VOCABULARY });
    const store = createStore(model);
    const history = createHistory({
      store,
      fieldMap: () => new Map(FIELDS.map((f) => [f.name, f])),
    });
    history.render();
    document.body.append(history.node);
    return { model, history, node: history.node };
  }

  it("draws the kernel's page and restores its filters from the trait", () => {
    const { node } = mount(PAGE);
    expect($(node, "history-summary").textContent).toBe("13 takes · $4.16 billed");
    expect($(node, "history-search").value).toBe("kite");
    expect($(node, "history-tag").value).toBe("best");
    expect($(node, "history-rating").value).toBe("4");
    const row = $(node, "history-row");
    expect(row.dataset.generationId).toBe("g-1");
    expect($(row, "history-rating").textContent).toBe("★★★★★");
    expect($(row, "history-note").textContent).toBe("keep");
    expect($(node, "history-prev").disabled).toBe(true);
    expect($(node, "history-next").disabled).toBe(false);
  });

  it("asks the kernel for pages and queries; open and restore name the take", () => {
    const { model, node } = mount(PAGE);
    $(node, "history-next").click();
    const param = $(node, "history-param");
    param.value = JSON.stringify(["aspect_ratio", "9:16"]);
    param.dispatchEvent(new Event("change"));
    $(node, "history-open").click();
    $(node, "history-restore").click();
    expect(model.sent).toEqual([
      {
        type: "history",
        query: { search: "kite", min_rating: 4, tag: "best" },
        page: 2,
      },
      {
        type: "history",
        query: { search: "kite", min_rating: 4, tag: "best", params: { aspect_ratio: "9:16" } },
        page: 1,
      },
      { type: "history_open", generation_id: "g-1" },
      { type: "history_restore", generation_id: "g-1" },
    ]);
  });

  it("query and controls convert both ways", () => {
    const controls = {
      search: " fox ",
      model: "",
      status: "failed",
      rating: "unrated",
      tag: "",
      param: "",
    };
    const query = queryFromControls(controls);
    expect(query).toEqual({ search: "fox", status: "failed", rated: false });
    expect(controlsFromQuery({ ...query, status: ["failed"] })).toMatchObject({
      status: "failed",
      rating: "unrated",
    });
  });
});

describe("blind panel", () => {
  it("shows two tokens' videos and three choices, then the reveal", () => {
    const blind = {
      id: "c-1",
      round: 2,
      rounds: 4,
      done: false,
      pair: { left: "blind-c-1-2-left", right: "blind-c-1-2-right" },
    };
    const model = fakeModel({ blind, vocabulary: VOCABULARY });
    const store = createStore(model);
    const videos = new VideoCache();
    videos.viewOpened();
    const panel = createBlind({
      store,
      videos,
      media: { player: (job) => h("div", { "data-token": job.id }) },
    });
    panel.render();
    const node = panel.node;
    expect($(node, "blind-round").textContent).toBe("round 3 of 4");
    expect(model.sent).toEqual([
      { type: "blind_video", token: "blind-c-1-2-left" },
      { type: "blind_video", token: "blind-c-1-2-right" },
    ]);
    $(node, "blind-choose-none").click();
    expect(model.sent.at(-1)).toEqual({
      type: "blind_choice",
      comparison: "c-1",
      round: 2,
      choice: "none",
    });
    expect($(node, "blind-choose-left").disabled).toBe(true);
    model.kernelSet("blind", {
      ...blind,
      round: 4,
      done: true,
      pair: null,
      reveal: [
        { rank: 1, generation_id: "g", differs: "prompt='a'", score: 0.8, win_rate: 1 },
        { rank: 2, generation_id: "h", differs: "prompt='b'", score: 0.2, win_rate: null },
      ],
    });
    panel.render();
    const standings = $$(node, "blind-standing");
    expect(standings.map((r) => r.dataset.generationId)).toEqual(["g", "h"]);
    expect(standings[1].textContent).toContain("—");
    expect(node.textContent).not.toContain("Left is better");
  });
});
