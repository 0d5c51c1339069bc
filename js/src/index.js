// Seedance Studio front end: the ES module anywidget loads (bundled by esbuild into
// seedance_widgets/_widget/static/studio.js; styles into studio.css).
//
// The contract with the kernel (`Studio` in studio.py) is docs/widget-protocol.md. The
// default export is a factory: anywidget calls it once per widget model, so the state made
// here (the jobs, the poster and video caches, the last code export) is shared by every view
// of that model, and a page reload (a new model) starts from scratch and asks the kernel for
// the whole current state.

import "./studio.css";
import { createModelState } from "./core/messages.js";
import { renderView } from "./view.js";

export default function createStudio() {
  const shared = createModelState();
  return {
    initialize({ model }) {
      model.on("msg:custom", shared.onMessage);
      shared.start(model);
      return () => {
        model.off("msg:custom", shared.onMessage);
        shared.videos.clear();
        shared.previews.clear();
        shared.posters.clear();
      };
    },

    render({ model, el }) {
      shared.videos.viewOpened();
      const view = renderView(model, el, shared);
      return () => {
        view.dispose();
        shared.videos.viewClosed();
      };
    },
  };
}
