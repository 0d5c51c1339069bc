// The blind comparison panel (trait `blind`): two takes side by side, known to this view only
// by opaque tokens (no ids, no parameters), and three choices. Once every round is chosen,
// the kernel reveals which take was which, ranked, with the counts.

import { button, h, show } from "../util/dom.js";

/**
 * @param {object} ctx
 * @param {ReturnType<import("../core/store.js").createStore>} ctx.store
 * @param {import("../core/video-cache.js").VideoCache} ctx.videos
 * @param {import("./card.js").CardContext["media"]} ctx.media
 */
export function createBlind(ctx) {
  const { store, videos } = ctx;
  let shownKey = "";
  const title = h("span", { class: "sdw-count", "data-testid": "blind-round" });
  const stage = h("div", { class: "sdw-blind-stage" });
  const choices = h("div", { class: "sdw-blind-choices" });
  const reveal = h("div", { class: "sdw-blind-reveal", "data-testid": "blind-reveal" });
  const node = h(
    "section",
    {
      class: "sdw-blind",
      "data-testid": "blind-panel",
      "aria-label": "Blind comparison",
      hidden: true,
    },
    h(
      "div",
      { class: "sdw-panel-head" },
      h("div", { class: "sdw-section-title" }, "Blind comparison", title),
    ),
    stage,
    choices,
    reveal,
  );

  /** A video by token: asked for through `blind_video`, cached like any other. */
  function side(token, label) {
    const entry = videos.request(token, () => store.send({ type: "blind_video", token }));
    const fake = { id: token, status: "succeeded", video: token };
    return h(
      "figure",
      { class: "sdw-blind-side", "data-testid": `blind-${label.toLowerCase()}-video` },
      h("div", { class: "sdw-player" }, ctx.media.player(fake, entry, { compact: true })),
      h("figcaption", { text: label }),
    );
  }

  function choose(blind, choice) {
    for (const b of choices.querySelectorAll("button")) b.disabled = true;
    store.send({ type: "blind_choice", comparison: blind.id, round: blind.round, choice });
  }

  function render() {
    const blind = store.blind();
    show(node, Boolean(blind.id));
    if (!blind.id) return;
    const key = `${blind.id}|${blind.round}|${blind.done}`;
    if (key === shownKey) return;
    shownKey = key;
    title.textContent = blind.done
      ? `${blind.rounds} rounds · revealed`
      : `round ${blind.round + 1} of ${blind.rounds}`;
    show(stage, !blind.done);
    show(choices, !blind.done);
    show(reveal, Boolean(blind.done));
    if (!blind.done && blind.pair) {
      stage.replaceChildren(side(blind.pair.left, "Left"), side(blind.pair.right, "Right"));
      choices.replaceChildren(
        ...[
          ["left", "Left is better"],
          ["none", "No preference"],
          ["right", "Right is better"],
        ].map(([choice, text]) =>
          button({
            class: `sdw-btn${choice === "none" ? " sdw-btn-quiet" : ""}`,
            "data-testid": `blind-choose-${choice}`,
            text,
            onclick: () => choose(blind, choice),
          }),
        ),
      );
      return;
    }
    stage.replaceChildren();
    choices.replaceChildren();
    reveal.replaceChildren(revealTable(blind.reveal || []));
  }

  return {
    node,
    render,
    /** A video arrived: redraw the pair when it is one of its sides. */
    refreshMedia(id) {
      const blind = store.blind();
      if (blind.pair && (blind.pair.left === id || blind.pair.right === id)) {
        shownKey = "";
        render();
      }
    },
  };
}

function revealTable(rows) {
  const head = ["Rank", "Take", "Score", "Win rate", "Wins", "Losses", "Ties", "Shown"];
  return h(
    "table",
    { class: "sdw-blind-table" },
    h(
      "thead",
      null,
      h(
        "tr",
        null,
        head.map((t) => h("th", { scope: "col", text: t })),
      ),
    ),
    h(
      "tbody",
      null,
      rows.map((r) =>
        h(
          "tr",
          { "data-testid": "blind-standing", "data-generation-id": r.generation_id },
          h("td", { text: String(r.rank) }),
          h("td", { text: r.differs }),
          h("td", { class: "sdw-num", text: `${Math.round(r.score * 100)}%` }),
          h("td", {
            class: "sdw-num",
            text: r.win_rate === null ? "—" : `${Math.round(r.win_rate * 100)}%`,
          }),
          h("td", { class: "sdw-num", text: String(r.wins) }),
          h("td", { class: "sdw-num", text: String(r.losses) }),
          h("td", { class: "sdw-num", text: String(r.ties) }),
          h("td", { class: "sdw-num", text: String(r.shown) }),
        ),
      ),
    ),
  );
}
