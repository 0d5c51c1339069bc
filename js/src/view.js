// One view of the studio: builds the parts, connects them to the store (every trait change
// redraws exactly the parts that show it) and to the kernel's messages, and undoes it all on
// dispose.

import { createBlind } from "./components/blind.js";
import { createCompare } from "./components/compare.js";
import { createExportPanel } from "./components/export-panel.js";
import { createForm } from "./components/form.js";
import { createGallery } from "./components/gallery.js";
import { createHeader } from "./components/header.js";
import { createHistory } from "./components/history.js";
import { createJobList } from "./components/job-list.js";
import { buildPlayer, mediaKeyOf, videoEntry } from "./components/player.js";
import { createSpend, createSweepPreview } from "./components/sweep-preview.js";
import { createStore } from "./core/store.js";
import { h } from "./util/dom.js";

/**
 * @param {object} model anywidget's model
 * @param {HTMLElement} el the view's element
 * @param {ReturnType<import("./core/messages.js").createModelState>} shared
 */
export function renderView(model, el, shared) {
  const store = createStore(model, { jobs: shared.jobs });
  const root = h("div", { class: "sdw-studio", "data-testid": "studio" });
  el.replaceChildren(root);

  const fields = () => store.fields();
  const fieldMap = () => new Map(store.fields().map((f) => [f.name, f]));

  /** Jobs whose play button was pressed: their video plays as soon as it is here. */
  const autoplay = new Set();

  /** Posters and players for cards, the compare panel and the gallery. */
  const media = {
    /** The video's cache entry (`{state: "poster"}` until played), null without a video. */
    entry: (job) => videoEntry(job, shared.videos),
    /** The poster's URL when here, else null (and asked for, once). */
    poster(job) {
      if (!videoEntry(job, shared.videos)) return null;
      const url = shared.posters.url(job.id);
      if (url === null) shared.posters.want(job.id, store.send);
      return url;
    },
    /** Ask for the video (the play button); it plays once here. */
    play(job) {
      autoplay.add(job.id);
      shared.videos.request(job.id, store.send);
      refreshMedia(job.id);
    },
    /** Ask for the video without playing it (the compare panel), and return its entry. */
    load(job) {
      if (!videoEntry(job, shared.videos)) return null;
      return shared.videos.request(job.id, store.send);
    },
    /** A key that changes exactly when the player must be rebuilt. */
    key: (job, entry) => mediaKeyOf(job, entry, job ? shared.posters.url(job.id) : null),
    player(job, entry, options = {}) {
      const ready = entry?.state === "ready";
      const start = ready && autoplay.delete(job.id);
      return buildPlayer(job, entry, {
        busy: Boolean(job) && store.vocabulary().running.has(String(job.status)),
        onRetry: job
          ? () => {
              shared.videos.forget(job.id);
              media.play(job);
            }
          : null,
        poster: job ? media.poster(job) : null,
        onPlay: job ? () => media.play(job) : null,
        autoplay: start,
        onVideo: (video) => video.addEventListener("play", () => shared.videos.touch(job.id)),
        ...options,
      });
    },
  };

  const header = createHeader(store);
  let form = null;
  const flushForm = () => form?.flush();
  const exportPanel = createExportPanel({ store, flushForm });
  form = createForm({
    store,
    exportNode: exportPanel.node,
    media: { previews: shared.previews, uploads: shared.uploads, listen: shared.listen },
  });
  const compare = createCompare({ store, fieldMap, media, root: () => root });
  const gallery = createGallery({ store, fieldMap, media, compareToggle: compare.toggle });
  const jobs = createJobList({
    store,
    fields,
    fieldMap,
    media,
    flushForm,
    compareToggle: compare.toggle,
  });

  const history = createHistory({ store, fieldMap });
  const blind = createBlind({ store, videos: shared.videos, media });
  const sweepPreview = createSweepPreview(store);
  const spend = createSpend(store);

  root.append(
    header.node,
    spend.node,
    blind.node,
    compare.node,
    sweepPreview.node,
    gallery.node,
    h("div", { class: "sdw-body" }, form.node, jobs.node),
    history.node,
  );

  /** A video arrived (or failed): redraw whatever shows that job. */
  function refreshMedia(jobId) {
    const id = String(jobId);
    jobs.refreshMedia(id);
    gallery.refreshMedia(id);
    compare.refreshMedia(id);
    blind.refreshMedia(id);
  }

  /** @param {{changed: Set<string>, reordered: boolean}} [change] from the job feed */
  function renderJobs(_name, change) {
    jobs.render(change);
    gallery.render(change);
    compare.render();
  }

  function renderFields() {
    if (!form.renderFields()) return;
    // Chips, axis labels and request panels use the field metadata.
    jobs.invalidate();
    renderJobs();
  }

  const unsubscribe = [
    store.subscribe(["model", "model_display_name", "backend"], () => header.render(root)),
    store.subscribe(["model", "models"], () => form.syncValues()),
    store.subscribe(["fields"], renderFields),
    store.subscribe(["params"], () => {
      form.syncValues();
      exportPanel.markStale();
    }),
    store.subscribe(["jobs"], renderJobs),
    store.subscribe(["error"], () => form.renderError()),
    store.subscribe(["gallery"], () => {
      gallery.render();
      sweepPreview.render();
    }),
    store.subscribe(["history_page"], () => history.render()),
    store.subscribe(["blind"], () => blind.render()),
    store.subscribe(["spend"], () => spend.render()),
    store.subscribe(["compare"], () => compare.render()),
    store.subscribe(["vocabulary"], () => {
      exportPanel.renderFlavours();
      renderJobs();
    }),
    shared.listen((event) => {
      if (event.type === "video" || event.type === "poster") refreshMedia(event.job_id);
      else if (event.type === "code") exportPanel.show(event.code);
    }),
  ];

  header.render(root);
  exportPanel.renderFlavours();
  form.renderFields();
  form.renderError();
  renderJobs();
  history.render();
  blind.render();
  sweepPreview.render();
  spend.render();
  if (shared.lastCode()) exportPanel.show(shared.lastCode(), { restored: true });

  return {
    dispose() {
      for (const undo of [
        ...unsubscribe,
        form.dispose,
        jobs.dispose,
        history.dispose,
        gallery.dispose,
        compare.dispose,
        exportPanel.dispose,
      ]) {
        try {
          undo();
        } catch (err) {
          console.error("[seedance-studio]", err);
        }
      }
      store.dispose();
      for (const video of root.querySelectorAll("video")) video.pause();
    },
  };
}
