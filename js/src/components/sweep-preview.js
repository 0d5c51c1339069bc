// What a sweep will cost before it runs (trait `gallery`: its `plan` and `started`): how many
// cells are cached, how many are new and what they would cost, and what the budget leaves;
// a sweep made with `start=False` waits for the Start button. Also the studio's spend line
// (trait `spend`): billed, pending estimates and, with a budget, what is left.

import { button, h, show } from "../util/dom.js";
import { formatMoney } from "../util/money.js";

/** "2 cached · 2 new ≈ $0.64 · $3.40 of the budget left" (null without a plan). */
export function planText(plan) {
  if (!plan) return null;
  const bits = [`${plan.cached} cached`, `${plan.new} new`];
  if (plan.new_cost !== null && plan.new_cost !== undefined) {
    bits[1] += ` ≈ ${formatMoney(plan.new_cost)} estimated`;
  }
  if (plan.budget_left !== null && plan.budget_left !== undefined) {
    const left = String(plan.budget_left).startsWith("-") ? "0" : plan.budget_left;
    bits.push(`${formatMoney(left)} of the budget left`);
  }
  return bits.join(" · ");
}

/** @param {ReturnType<import("../core/store.js").createStore>} store */
export function createSweepPreview(store) {
  const text = h("span", { class: "sdw-sweep-plan-text", "data-testid": "sweep-plan" });
  const start = button({
    class: "sdw-btn sdw-btn-small",
    "data-testid": "sweep-start",
    text: "Start sweep",
    onclick: () => {
      start.disabled = true;
      store.send({ type: "sweep_start", sweep_id: store.gallery().id });
    },
  });
  const node = h("div", { class: "sdw-sweep-plan", hidden: true }, text, start);

  function render() {
    const gallery = store.gallery();
    const line = planText(gallery.plan);
    show(node, line !== null);
    if (line === null) return;
    text.textContent = `Sweep: ${line}`;
    show(start, gallery.started === false);
    start.disabled = false;
  }
  return { node, render };
}

/** @param {ReturnType<import("../core/store.js").createStore>} store */
export function createSpend(store) {
  const node = h("div", { class: "sdw-spend", "data-testid": "spend", hidden: true });
  function render() {
    const spend = store.spend();
    show(node, Boolean(spend.billed));
    if (!spend.billed) return;
    const bits = [`Billed ${formatMoney(spend.billed)}`];
    if (spend.pending && Number(spend.pending) > 0) {
      bits.push(`≈ ${formatMoney(spend.pending)} pending`);
    }
    if (spend.budget) {
      const left = String(spend.left).startsWith("-") ? "0" : spend.left;
      bits.push(`budget ${formatMoney(spend.budget)}`, `${formatMoney(left)} left`);
    }
    node.textContent = bits.join(" · ");
    node.dataset.over = String(Boolean(spend.budget) && String(spend.left).startsWith("-"));
  }
  return { node, render };
}
