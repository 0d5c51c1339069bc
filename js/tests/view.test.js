// The whole widget (index.js) against a fake model: what the browser tests check end to end,
// here in milliseconds.
import { afterEach, describe, expect, it, vi } from "vitest";
import { galleryLayout } from "../src/components/gallery.js";
import createStudio from "../src/index.js";
import { FIELDS, fakeJob, fakeModel, VOCABULARY } from "./fake-model.js";

function render({ jobs = [], ...traits } = {}) {
  const model = fakeModel({
    model: "bytedance-seedance-2-0-fast-text-to-video",
    model_display_name: "Seedance 2.0 Fast",
    fields: FIELDS,
    params: { prompt: "", resolution: "720p", duration: 5, aspect_ratio: "16:9" },
    backend: { simulated: true, label: "Simulated" },
    error: "",
    gallery: {},
    compare: [],
    vocabulary: VOCABULARY,
    ...traits,
  });
  const widget = createStudio();
  const stopModel = widget.initialize({ model });
  const el = document.createElement("div");
  document.body.append(el);
  const stopView = widget.render({ model, el });
  model.kernelJobs(jobs);
  const $ = (sel) => el.querySelector(sel);
  const $$ = (sel) => [...el.querySelectorAll(sel)];
  return {
    model,
    el,
    $,
    $$,
    stop() {
      stopView();
      stopModel();
    },
  };
}

afterEach(() => {
  document.body.replaceChildren();
});

const SWEEP = {
  id: "s1",
  axes: { prompt: ["fox", "owl"], aspect_ratio: ["16:9", "1:1", "9:16"] },
  items: ["fox", "owl"].flatMap((prompt, i) =>
    ["16:9", "1:1", "9:16"].map((aspect_ratio, j) => ({
      job_id: `j${i}${j}`,
      values: { prompt, aspect_ratio },
    })),
  ),
  estimated_cost: 1.2,
};

describe("studio view", () => {
  it("builds the form from the fields and writes params back", () => {
    const { model, $, $$, stop } = render();
    expect($('[data-testid="simulated-badge"]').hidden).toBe(false);
    expect($(".sdw-title-name").textContent).toBe("Seedance 2.0 Fast");
    expect($$('[data-testid^="field-"]').map((n) => n.dataset.testid)).toEqual([
      "field-prompt",
      "field-resolution",
      "field-duration",
      "field-aspect_ratio",
      "field-generate_audio",
      "field-watermark",
    ]);
    const option = $('[data-testid="field-resolution"] [data-value="480p"]');
    option.click();
    expect(model.get("params").resolution).toBe("480p");
    expect(option.getAttribute("aria-pressed")).toBe("true");
    expect($$('[data-testid="field-resolution"] [aria-pressed="true"]')).toHaveLength(1);
    // The kernel changes a param: the form follows.
    model.kernelSet("params", { ...model.get("params"), aspect_ratio: "9:16" });
    expect(
      $('[data-testid="field-aspect_ratio"] [data-value="9:16"]').getAttribute("aria-pressed"),
    ).toBe("true");
    stop();
  });

  it("flushes typed text before generate", () => {
    vi.useFakeTimers();
    const { model, $, stop } = render();
    const prompt = $('[data-testid="prompt"]');
    prompt.value = "a fox";
    prompt.dispatchEvent(new Event("input"));
    expect($('[data-testid="char-count"]').textContent).toBe("5 characters");
    $('[data-testid="generate"]').click();
    expect(model.get("params").prompt).toBe("a fox");
    expect(model.sent).toEqual([{ type: "sync", topic: "jobs" }, { type: "generate" }]);
    stop();
    vi.useRealTimers();
  });

  it("takes the export flavours from the vocabulary", () => {
    const { model, $, $$, stop } = render();
    expect($$('[data-testid^="export-flavour-"]').map((b) => b.textContent)).toEqual([
      "Toolkit",
      "httpx",
      "cURL",
    ]);
    $('[data-testid="export-flavour-curl"]').click();
    $('[data-testid="insert-code"]').click();
    expect(model.sent.at(-1)).toEqual({ type: "export", flavour: "curl", insert: true });
    model.emit("msg:custom", { type: "code", flavour: "curl", text: "curl …", inserted: true });
    expect($('[data-testid="export-code"]').textContent).toBe("curl …");
    expect($(".sdw-code-note").textContent).toBe("cURL · inserted in a new cell below");
    stop();
  });

  it("a new view shows the last export as such", () => {
    const first = render();
    first.model.emit("msg:custom", { type: "code", flavour: "httpx", text: "x", inserted: true });
    // A second view of the same model (same widget factory).
    const widget = createStudio();
    widget.initialize({ model: first.model });
    first.model.emit("msg:custom", { type: "code", flavour: "httpx", text: "x", inserted: true });
    const el = document.createElement("div");
    widget.render({ model: first.model, el });
    expect(el.querySelector(".sdw-code-note").textContent).toBe("httpx · last export");
    first.stop();
  });

  it("orders cards newest first and counts the running ones", () => {
    const { model, $, $$, stop } = render();
    expect($(".sdw-empty").hidden).toBe(false);
    expect(model.sent).toContainEqual({ type: "sync", topic: "jobs" });
    model.kernelJobs([
      fakeJob({ id: "b", status: "processing", created_at: 1002 }),
      fakeJob({ id: "a", status: "succeeded", finished_at: 1003 }),
    ]);
    expect($$('[data-testid="job"]').map((c) => c.dataset.jobId)).toEqual(["b", "a"]);
    expect($(".sdw-jobs .sdw-count").textContent).toBe("2 · 1 running");
    expect($(".sdw-empty").hidden).toBe(true);
    // A patch names only the job that changed; a newer job goes first.
    model.kernelJobs([fakeJob({ id: "c", status: "queued", created_at: 1009 })], {
      snapshot: false,
    });
    expect($$('[data-testid="job"]').map((c) => c.dataset.jobId)).toEqual(["c", "b", "a"]);
    // An older revision of a job never undoes a newer one.
    model.emit(
      "msg:custom",
      { type: "feed", topic: "jobs", snapshot: false, items: [fakeJob({ id: "c", rev: 0 })] },
      [],
    );
    expect($('[data-job-id="c"]').dataset.status).toBe("queued");
    // A snapshot drops the jobs it does not list.
    model.kernelJobs([fakeJob({ id: "a", status: "succeeded", finished_at: 1003 })]);
    expect($$('[data-testid="job"]').map((c) => c.dataset.jobId)).toEqual(["a"]);
    stop();
  });

  it("shows the poster, asks for the video only on play, and plays it from a Blob URL", async () => {
    const { model, $, stop } = render({
      jobs: [fakeJob({ status: "succeeded", video: "gen.mp4", finished_at: 1005 })],
    });
    await Promise.resolve(); // the posters asked for in one moment go out together
    expect(model.sent.filter((m) => m.type === "posters")).toEqual([
      { type: "posters", job_ids: ["job-1"] },
    ]);
    expect(model.sent.filter((m) => m.type === "video")).toEqual([]);
    model.emit("msg:custom", { type: "poster", job_id: "job-1", mime: "image/jpeg" }, [
      new Uint8Array([255, 216, 255]).buffer,
    ]);
    expect($('[data-testid="poster"]').getAttribute("src")).toMatch(/^blob:/);
    $('[data-testid="job-play"]').click();
    expect(model.sent.filter((m) => m.type === "video")).toEqual([
      { type: "video", job_id: "job-1" },
    ]);
    model.emit(
      "msg:custom",
      { type: "video", job_id: "job-1", name: "gen.mp4", mime: "video/mp4" },
      [new Uint8Array([0, 0, 0, 24]).buffer],
    );
    const video = $('[data-testid="job-video"]');
    expect(video.getAttribute("src")).toMatch(/^blob:/);
    expect($('[data-testid="job-download"]').getAttribute("download")).toBe("gen.mp4");
    expect(video.getAttribute("poster")).toMatch(/^blob:/);
    model.kernelJobs([fakeJob({ status: "succeeded", video: "gen.mp4", finished_at: 1005 })], {
      snapshot: false,
    });
    expect(model.sent.filter((m) => m.type === "video")).toHaveLength(1);
    stop();
  });

  it("lays the gallery out in groups of the other axes, each cell labelled with the last", () => {
    const jobs = SWEEP.items.map((it) =>
      fakeJob({ id: it.job_id, status: "queued", params: { resolution: "480p", ...it.values } }),
    );
    const { model, $, $$, stop } = render({ gallery: SWEEP, jobs });
    expect($('[data-testid="gallery"]').hidden).toBe(false);
    expect($$('[data-testid="gallery-label"]').map((n) => n.textContent)).toEqual(
      ["16:9", "1:1", "9:16", "16:9", "1:1", "9:16"].map((r) => `Aspect ratio${r}`),
    );
    expect($$(".sdw-gallery-rowhead").map((n) => n.textContent)).toEqual([
      "Promptfox",
      "Promptowl",
    ]);
    expect($$('[data-testid="gallery-cell"]').map((c) => c.dataset.jobId)).toEqual([
      "j00",
      "j01",
      "j02",
      "j10",
      "j11",
      "j12",
    ]);
    expect($(".sdw-gallery .sdw-count").textContent).toBe(
      "2 × 3 = 6 generations · ≈ $1.20 estimated · 0/6 done",
    );
    // Compare two cells: the toggles and the panel follow the compare trait.
    $$('[data-testid="gallery-cell"] [data-testid="job-compare"]')[0].click();
    $$('[data-testid="gallery-cell"] [data-testid="job-compare"]')[3].click();
    expect(model.get("compare")).toEqual(["j00", "j10"]);
    expect($('[data-testid="compare-panel"]').hidden).toBe(false);
    expect($$(".sdw-compare-prompt.sdw-diff")).toHaveLength(2);
    $('[data-testid="compare-clear"]').click();
    expect(model.get("compare")).toEqual([]);
    expect($('[data-testid="compare-panel"]').hidden).toBe(true);
    stop();
  });

  it("galleryLayout: rows from the items in their order, gaps for missing cells", () => {
    const layout = galleryLayout({
      axes: { seed: [1, 2], aspect_ratio: ["16:9", "9:16"] },
      items: [
        { job_id: "x", values: { seed: 2, aspect_ratio: "9:16" } },
        { job_id: "y", values: { seed: 1, aspect_ratio: "16:9" } },
      ],
    });
    expect(layout.column).toBe("aspect_ratio");
    expect(layout.columns).toEqual(["16:9", "9:16"]);
    expect(layout.rows.map((r) => r.values)).toEqual([[2], [1]]);
    expect(layout.rows.map((r) => r.cells.map((c) => c?.job_id ?? null))).toEqual([
      [null, "x"],
      ["y", null],
    ]);
    expect(galleryLayout({ items: [{ job_id: 1 }] }).flat).toBe(true);
  });

  it("shows the kernel's refusal and hides it when cleared", () => {
    const { model, $, stop } = render();
    model.kernelSet("error", "prompt: '' is empty");
    expect($('[data-testid="form-error"]').hidden).toBe(false);
    model.kernelSet("error", "");
    expect($('[data-testid="form-error"]').hidden).toBe(true);
    stop();
  });

  it("renders from saved state without a kernel, saying the jobs need one", () => {
    const model = fakeModel({ fields: FIELDS, params: {}, vocabulary: VOCABULARY });
    model.send = () => {
      throw new Error("no comm");
    };
    vi.spyOn(console, "warn").mockImplementation(() => {});
    const widget = createStudio();
    widget.initialize({ model });
    const el = document.createElement("div");
    widget.render({ model, el });
    expect(el.querySelector('[data-testid="jobs-empty"]').textContent).toMatch(/kernel/);
    model.kernelJobs([]); // the kernel answers: an empty studio says so
    expect(el.querySelector('[data-testid="jobs-empty"]').textContent).toMatch(/No jobs yet/);
  });

  it("leaves no listeners on the model after the view and model close", () => {
    const { model, stop } = render();
    stop();
    expect(model.listenerCount()).toBe(0);
  });
});
