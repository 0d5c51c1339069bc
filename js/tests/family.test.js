// The Seedance family in the front end: chunked uploads, kernel-made previews, the model
// picker, media controls (single and references with @names and face toggles), and 2.5's
// integer-or-string durations.
import { afterEach, describe, expect, it } from "vitest";
import { ChunkedUploads } from "../src/core/chunked-upload.js";
import { PreviewCache } from "../src/core/previews.js";
import createStudio from "../src/index.js";
import { formatValue, isAutoDuration, optionLabel } from "../src/util/format.js";
import { fakeModel, VOCABULARY } from "./fake-model.js";

const I2V = [
  { name: "prompt", type: "string", enum: null, basic: true, required: true },
  {
    name: "input_image",
    type: "string",
    format: "uri",
    media: "image",
    face: "input_image_has_face",
    basic: true,
    required: true,
  },
  { name: "input_image_has_face", type: "boolean", default: false, face_of: "input_image" },
  { name: "resolution", type: "string", default: "720p", enum: ["480p", "720p"], basic: true },
];
const R2V = [
  { name: "prompt", type: "string", enum: null, basic: true, required: true },
  {
    name: "input_face_images",
    type: "array",
    items: { type: "string", format: "uri" },
    media: "image",
    face_of: "input_images",
  },
  {
    name: "input_images",
    type: "array",
    items: { type: "string", format: "uri" },
    media: "image",
    max_items: 9,
    face: "input_face_images",
    basic: true,
  },
  {
    name: "input_audios",
    type: "array",
    items: { type: "string", format: "uri" },
    media: "audio",
    max_items: 3,
    basic: true,
  },
];
const MODELS = [
  { id: "t2v", display_name: "Fast - Text to Video", kind: "text-to-video" },
  { id: "i2v", display_name: "Fast - Image to Video", kind: "image-to-video" },
  { id: "r2v", display_name: "Fast - Reference to Video", kind: "reference-to-video" },
];

function render({ jobs = [], ...traits } = {}) {
  const model = fakeModel({
    model: "i2v",
    model_display_name: "Fast - Image to Video",
    models: MODELS,
    fields: I2V,
    params: { prompt: "" },
    backend: { simulated: true },
    error: "",
    gallery: {},
    compare: [],
    vocabulary: VOCABULARY,
    ...traits,
  });
  model.sends = [];
  model.send = (content, _callbacks, buffers) => {
    model.sent.push(content);
    model.sends.push({ content, buffers });
  };
  const widget = createStudio();
  const stopModel = widget.initialize({ model });
  const el = document.createElement("div");
  document.body.append(el);
  const stopView = widget.render({ model, el });
  model.kernelJobs(jobs);
  return {
    model,
    $: (sel) => el.querySelector(sel),
    $$: (sel) => [...el.querySelectorAll(sel)],
    stop() {
      stopView();
      stopModel();
    },
  };
}

afterEach(() => document.body.replaceChildren());

describe("chunked uploads", () => {
  it("sends a file over 10 MB in 1 MiB chunks, one after each acknowledgement", async () => {
    const uploads = new ChunkedUploads();
    const sent = [];
    const send = (content, buffers) => sent.push({ content, buffers });
    const size = 11 * 1024 * 1024 + 5;
    const file = new File([new Uint8Array(size).fill(7)], "big.png", { type: "image/png" });
    const states = [];
    uploads.listen((_id, state) => states.push(state.state));
    const id = uploads.start(file, "input_image", send);
    expect(sent[0].content).toEqual({
      type: "upload_start",
      upload_id: id,
      field: "input_image",
      name: "big.png",
      size,
    });
    let received = 0;
    for (;;) {
      uploads.receive({ type: "upload_ack", upload_id: id, received });
      await new Promise((r) => setTimeout(r, 0));
      const last = sent[sent.length - 1];
      if (last.content.type !== "upload_chunk" || last.content.offset !== received) break;
      expect(last.buffers).toHaveLength(1);
      expect(last.buffers[0].byteLength).toBeLessThanOrEqual(1024 * 1024);
      received += last.buffers[0].byteLength;
      if (received >= size) break;
    }
    expect(received).toBe(size);
    expect(sent.filter((m) => m.content.type === "upload_chunk")).toHaveLength(12);
    uploads.receive({ type: "upload_done", upload_id: id, path: ".seedance/inputs/ab.png" });
    expect(states.at(-1)).toBe("done");
    expect(uploads.names.get(".seedance/inputs/ab.png")).toBe("big.png");
  });

  it("stops on the kernel's error and on cancel", () => {
    const uploads = new ChunkedUploads();
    const sent = [];
    const errors = [];
    uploads.listen((_id, state) => state.error && errors.push(state.error));
    const a = uploads.start(new File(["x"], "a.gif"), "input_image", (c) => sent.push(c));
    uploads.receive({ type: "upload_error", upload_id: a, error: "input_image: a GIF" });
    const b = uploads.start(new File(["x"], "b.png"), "input_image", (c) => sent.push(c));
    uploads.cancel(b);
    expect(errors).toEqual(["input_image: a GIF", "cancelled"]);
    expect(sent.at(-1)).toEqual({ type: "upload_cancel", upload_id: b });
    expect(uploads.receive({ type: "upload_ack", upload_id: b, received: 0 })).toBe(false);
  });
});

describe("previews", () => {
  it("asks the kernel once per value and keeps its thumbnail as a Blob URL", () => {
    const urls = { made: 0, createObjectURL: () => `blob:${++urls.made}`, revokeObjectURL() {} };
    const cache = new PreviewCache({ urls });
    const sent = [];
    expect(cache.request("a.png", (c) => sent.push(c)).state).toBe("pending");
    cache.request("a.png", (c) => sent.push(c));
    expect(sent).toEqual([{ type: "preview", value: "a.png" }]);
    cache.receive({ type: "preview", value: "a.png", width: 4, mime: "image/jpeg" }, [
      new Uint8Array(3),
    ]);
    expect(cache.request("a.png", () => {})).toMatchObject({
      state: "ready",
      url: "blob:1",
      info: { width: 4 },
    });
  });
});

describe("the family in the form", () => {
  it("picks a model from a picker grouped by kind", () => {
    const { model, $, $$, stop } = render();
    const picker = $('[data-testid="model-picker"]');
    expect($$("optgroup").map((g) => g.label)).toEqual([
      "Text to video",
      "Image to video",
      "Reference to video",
    ]);
    expect(picker.value).toBe("i2v");
    picker.value = "r2v";
    picker.dispatchEvent(new Event("change"));
    expect(model.get("model")).toBe("r2v");
    stop();
  });

  it("shows a first-frame control with its face toggle, not the flag on its own", () => {
    const { model, $, stop } = render({ params: { prompt: "", input_image_has_face: false } });
    const field = $('[data-testid="field-input_image"]');
    expect(field.querySelector(".sdw-label").textContent).toContain("First frame");
    expect($('[data-testid="field-input_image_has_face"]')).toBeNull();
    field.querySelector('[data-testid="media-face"]').click();
    expect(model.get("params").input_image_has_face).toBe(true);
    const url = field.querySelector('[data-testid="media-url"]');
    url.value = "https://example.com/still.png";
    url.dispatchEvent(new Event("change"));
    expect(model.get("params").input_image).toBe("https://example.com/still.png");
    expect(model.sent).toContainEqual({
      type: "preview",
      value: "https://example.com/still.png",
    });
    stop();
  });

  it("a dropped file goes to the kernel in chunks for that field", async () => {
    const { model, $, stop } = render();
    const zone = $('[data-testid="field-input_image"] [data-testid="media-drop"]');
    const drop = new Event("drop", { bubbles: true, cancelable: true });
    drop.dataTransfer = { files: [new File(["12345"], "still.png", { type: "image/png" })] };
    zone.dispatchEvent(drop);
    const start = model.sent.find((m) => m.type === "upload_start");
    expect(start).toMatchObject({ field: "input_image", name: "still.png", size: 5 });
    model.emit("msg:custom", { type: "upload_ack", upload_id: start.upload_id, received: 0 });
    await new Promise((r) => setTimeout(r, 10));
    const chunk = model.sends.find((m) => m.content.type === "upload_chunk");
    expect(chunk.content).toEqual({ type: "upload_chunk", upload_id: start.upload_id, offset: 0 });
    expect(chunk.buffers[0].byteLength).toBe(5);
    stop();
  });

  it("names references @Image1… with face ones first, and moves one with its toggle", () => {
    const { model, $$, stop } = render({
      model: "r2v",
      fields: R2V,
      params: {
        prompt: "",
        input_face_images: ["https://x.test/face.png"],
        input_images: ["https://x.test/a.png", "https://x.test/b.png"],
        input_audios: ["https://x.test/t.wav"],
      },
    });
    const images = $$('[data-testid="media-input_images"] [data-testid="media-item"]');
    expect(images.map((i) => i.dataset.label)).toEqual(["@Image1", "@Image2", "@Image3"]);
    expect(images[0].querySelector('[data-testid="media-face"]').getAttribute("aria-checked")).toBe(
      "true",
    );
    const audios = $$('[data-testid="media-input_audios"] [data-testid="media-item"]');
    expect(audios.map((i) => i.dataset.label)).toEqual(["@Audio1"]);
    images[2].querySelector('[data-testid="media-face"]').click();
    expect(model.get("params").input_face_images).toEqual([
      "https://x.test/face.png",
      "https://x.test/b.png",
    ]);
    expect(model.get("params").input_images).toEqual(["https://x.test/a.png"]);
    stop();
  });
});

describe("2.5's durations", () => {
  const duration = { name: "duration", type: ["integer", "string"], enum: ["auto", 4, 30] };
  it("treats 'auto' as the automatic choice", () => {
    expect(isAutoDuration(duration)).toBe(true);
    expect(optionLabel(duration, "auto")).toBe("Auto");
    expect(formatValue(duration, 30)).toBe("30 s");
    expect(formatValue(duration, "auto")).toBe("Auto");
  });
});

describe("models side by side", () => {
  const job = (id, model, params) => ({
    id,
    model,
    params,
    take: 1,
    status: "succeeded",
    created_at: 1,
    finished_at: 2,
    video: null,
  });

  it("compare leads with each job's model, highlighted when they differ", () => {
    const { $$, stop } = render({
      jobs: [
        job("a", "t2v", { prompt: "sea", resolution: "480p" }),
        job("b", "i2v", { prompt: "sea", resolution: "480p", input_image: "https://x/s.png" }),
      ],
      compare: ["a", "b"],
    });
    const chips = $$('[data-testid="compare-model"]');
    expect(chips.map((c) => c.textContent)).toEqual([
      "Fast - Text to Video",
      "Fast - Image to Video",
    ]);
    expect(chips.every((c) => c.classList.contains("sdw-diff"))).toBe(true);
    stop();
  });

  it("the gallery names the model axis and says each model's cost", () => {
    const { $, $$, stop } = render({
      jobs: [job("a", "t2v", { prompt: "p" }), job("b", "i2v", { prompt: "p" })],
      gallery: {
        id: "g",
        axes: { prompt: ["p"], model: ["t2v", "i2v"] },
        items: [
          { job_id: "a", values: { prompt: "p", model: "t2v" } },
          { job_id: "b", values: { prompt: "p", model: "i2v" } },
        ],
        estimated_cost: 1.5,
        cost_by_model: { t2v: 0.5, i2v: 1 },
      },
    });
    const heads = $$(".sdw-gallery-label .sdw-axis-model").map((h) => h.textContent);
    expect(heads).toEqual(["Fast - Text to Video", "Fast - Image to Video"]);
    expect($('[data-testid="gallery"]').textContent).toContain(
      "(Fast - Text to Video $0.50, Fast - Image to Video $1.00)",
    );
    stop();
  });
});
