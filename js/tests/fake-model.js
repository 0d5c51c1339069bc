// A stand-in for anywidget's model: traits in a map, change events like Backbone's (fired
// synchronously by `set`, also for the view's own writes), sent messages recorded.

export function fakeModel(initial = {}, { echo = true } = {}) {
  const traits = new Map(Object.entries(initial));
  const handlers = new Map();
  const model = {
    sent: [],
    saves: 0,
    get: (name) => traits.get(name),
    set(name, value) {
      traits.set(name, value);
      if (echo) model.emit(`change:${name}`);
    },
    save_changes() {
      model.saves += 1;
    },
    send(content) {
      model.sent.push(content);
    },
    on(event, fn) {
      if (!handlers.has(event)) handlers.set(event, new Set());
      handlers.get(event).add(fn);
    },
    off(event, fn) {
      handlers.get(event)?.delete(fn);
    },
    emit(event, ...args) {
      for (const fn of [...(handlers.get(event) || [])]) fn(...args);
    },
    /** The kernel sends jobs as its feed does (a snapshot, or a patch of changed jobs). */
    kernelJobs(jobs, { snapshot = true } = {}) {
      model.rev = (model.rev || 0) + 1;
      const items = jobs.map((job) => ({ rev: model.rev, ...job }));
      model.emit("msg:custom", { type: "feed", topic: "jobs", snapshot, items }, []);
    },
    /** The kernel changes a trait. */
    kernelSet(name, value) {
      traits.set(name, value);
      model.emit(`change:${name}`);
    },
    listenerCount: () => [...handlers.values()].reduce((n, s) => n + s.size, 0),
  };
  return model;
}

/** The vocabulary the kernel sends (studio.py's _vocabulary()). */
export const VOCABULARY = {
  statuses: [
    "submitting",
    "unconfirmed",
    "queued",
    "processing",
    "succeeded",
    "failed",
    "cancelled",
    "error",
  ],
  running: ["submitting", "queued", "processing"],
  terminal: ["succeeded", "failed", "cancelled", "error"],
  flavours: [
    { id: "toolkit", label: "Toolkit" },
    { id: "httpx", label: "httpx" },
    { id: "curl", label: "cURL" },
  ],
};

export const FIELDS = [
  { name: "prompt", type: "string", default: null, enum: null, basic: true, required: true },
  { name: "resolution", type: "string", default: "720p", enum: ["480p", "720p"], basic: true },
  { name: "duration", type: "integer", default: 5, enum: [-1, 4, 5, 6], basic: true },
  {
    name: "aspect_ratio",
    type: "string",
    default: "16:9",
    enum: ["16:9", "1:1", "9:16"],
    basic: true,
  },
  { name: "generate_audio", type: "boolean", default: true, enum: null, basic: true },
  { name: "watermark", type: "boolean", default: false, enum: null, basic: false },
];

/** A job dict as Job.to_json() writes it, with `overrides`. */
export function fakeJob(overrides = {}) {
  return {
    id: "job-1",
    generation_id: null,
    model: "bytedance-seedance-2-0-fast-text-to-video",
    params: { prompt: "a red kite", resolution: "480p", aspect_ratio: "9:16", duration: 5 },
    take: 1,
    status: "queued",
    error: null,
    created_at: 1000,
    started_at: null,
    finished_at: null,
    video: null,
    cached: false,
    eta_seconds: null,
    ...overrides,
  };
}
