// State & sync: the one place where the view reads synced traits, writes them back and hears
// that they changed. A write is `model.set` + `model.save_changes()`, and the redraw that
// follows comes from the same change notification whether the kernel or this view made the
// change (a host that does not echo local sets gets the notification from here instead).
// The jobs are not a trait: they come from the model's job feed (core/feed.js), and their
// "jobs" notification says which jobs changed ({changed: Set<id>, reordered}).

import { stableJson } from "../util/format.js";
import { createFeed } from "./feed.js";
import { readVocabulary } from "./vocabulary.js";

/** The traits a view listens to (docs/widget-protocol.md). */
export const TRAITS = [
  "model",
  "model_display_name",
  "models",
  "fields",
  "params",
  "backend",
  "error",
  "gallery",
  "compare",
  "vocabulary",
  "history_page",
  "blind",
  "spend",
];

const asObject = (value) =>
  value && typeof value === "object" && !Array.isArray(value) ? value : {};
const asList = (value) => (Array.isArray(value) ? value : []);

/**
 * @param {{get(name: string): any, set(name: string, value: any): void, save_changes(): void,
 *          send(content: object): void, on(event: string, fn: Function): void,
 *          off(event: string, fn: Function): void}} model anywidget's model
 * @param {{jobs?: ReturnType<typeof createFeed>}} [sources] the model's job feed
 */
export function createStore(model, { jobs = createFeed("jobs") } = {}) {
  /** @type {Map<string, Set<Function>>} */
  const listeners = new Map();
  const handlers = new Map();
  let writing = null;
  let echoed = false;
  let vocabularyRaw;
  let vocabulary = readVocabulary(undefined);

  function emit(name, detail) {
    for (const listener of [...(listeners.get(name) || [])]) {
      try {
        listener(name, detail);
      } catch (err) {
        console.error("[seedance-studio]", err);
      }
    }
  }

  for (const name of TRAITS) {
    const handler = () => {
      if (writing === name) echoed = true;
      emit(name);
    };
    handlers.set(name, handler);
    model.on(`change:${name}`, handler);
  }
  const unsubscribeJobs = jobs.subscribe((change) => emit("jobs", change));

  /** Write one trait to the kernel, then redraw whatever shows it (exactly once). */
  function write(name, value) {
    writing = name;
    echoed = false;
    try {
      model.set(name, value);
      model.save_changes();
    } finally {
      writing = null;
    }
    if (!echoed) emit(name);
  }

  const store = {
    get: (name) => model.get(name),

    /** The form's values. */
    params: () => asObject(model.get("params")),
    fields: () => asList(model.get("fields")).filter((f) => f && typeof f.name === "string"),
    backend: () => asObject(model.get("backend")),
    gallery: () => asObject(model.get("gallery")),
    historyPage: () => asObject(model.get("history_page")),
    blind: () => asObject(model.get("blind")),
    spend: () => asObject(model.get("spend")),
    /** The model picker's choices: [{id, display_name, kind}]. */
    models: () => asList(model.get("models")).filter((m) => m && typeof m.id === "string"),
    error: () => String(model.get("error") || ""),

    /** Jobs newest first, each with a string `id`. */
    jobs: () => jobs.list(),

    /** One job by id (undefined when unknown). */
    job: (id) => jobs.get(id),

    /** Jobs by id (read only). */
    jobsById: () => jobs.byId(),

    /** How many jobs there are. */
    jobCount: () => jobs.size,

    /** Whether the kernel sent the jobs yet (never, in a saved notebook without a kernel). */
    jobsSynced: () => jobs.synced,

    compareIds: () => asList(model.get("compare")).map(String),

    /** @returns {import("./vocabulary.js").Vocabulary} */
    vocabulary() {
      const raw = model.get("vocabulary");
      if (raw !== vocabularyRaw) {
        vocabularyRaw = raw;
        vocabulary = readVocabulary(raw);
      }
      return vocabulary;
    },

    /**
     * Call `fn(name, detail)` whenever one of `names` changes (`detail` only for "jobs");
     * returns the unsubscribe function.
     * @param {string[]} names
     */
    subscribe(names, fn) {
      for (const name of names) {
        if (!listeners.has(name)) listeners.set(name, new Set());
        listeners.get(name).add(fn);
      }
      return () => {
        for (const name of names) listeners.get(name)?.delete(fn);
      };
    },

    write,

    /** Set one form value (`undefined` removes it). */
    setParam(name, value) {
      const next = { ...store.params() };
      if (value === undefined) delete next[name];
      else next[name] = value;
      write("params", next);
    },

    /** Put `values` back into the form, keeping only the names in `known`. */
    mergeParams(values, known) {
      const next = { ...store.params() };
      for (const [name, value] of Object.entries(values || {})) {
        if (known.has(name)) next[name] = value;
      }
      if (stableJson(next) !== stableJson(store.params())) write("params", next);
    },

    /** Pick another model: the kernel rebuilds `fields` and keeps the values still valid. */
    setModel(id) {
      if (id !== model.get("model")) write("model", String(id));
    },

    setCompare(ids) {
      write("compare", ids.map(String));
    },

    toggleCompare(id) {
      const key = String(id);
      const current = store.compareIds();
      store.setCompare(
        current.includes(key) ? current.filter((x) => x !== key) : [...current, key],
      );
    },

    /** A one-off message to the kernel, with binary `buffers` when given (file chunks). */
    send(content, buffers) {
      if (buffers?.length) model.send(content, undefined, buffers);
      else model.send(content);
    },

    dispose() {
      for (const [name, handler] of handlers) model.off(`change:${name}`, handler);
      handlers.clear();
      unsubscribeJobs();
      listeners.clear();
    },
  };
  return store;
}
