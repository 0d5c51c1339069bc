// Windowing: a long list renders only the items near the viewport. Every key gets a slot, a
// bare element that holds its item while mounted and otherwise keeps the item's last
// measured height (or an estimate), so the page scrolls as if everything were there. An
// IntersectionObserver mounts an item when its slot comes within `margin` of the viewport
// (whatever scrolls: JupyterLab's notebook panel, marimo's page, VS Code's output) and
// unmounts it when it leaves. The first `eager` items mount at once, so the first paint
// has them (and hosts without IntersectionObserver mount everything); a short list
// (`keepAll`) stays whole.
//
// Used by the job cards and the sweep gallery; any keyed list (a history page) can use it.

/**
 * @typedef {{node: HTMLElement, update?: () => void, dispose?: () => void}} MountedItem
 * @typedef {{key: string, el: HTMLElement, item: MountedItem | null, height: number}} Slot
 */

export const WINDOW_MARGIN = "800px";

/**
 * @param {object} options
 * @param {HTMLElement} options.container the element the slots go in
 * @param {(key: string) => MountedItem} options.mount builds the item of `key`
 * @param {number} options.estimate height (px) of an item never measured
 * @param {number} [options.eager] items mounted at once, without waiting for the observer
 * @param {string} [options.margin] how far outside the viewport items stay mounted
 * @param {string} [options.slotClass]
 * @param {() => boolean} [options.keepAll] while true, every item stays mounted (a short
 *        list: windowing would save nothing, and a playing video would stop when scrolled by)
 */
export function createWindowedList({
  container,
  mount,
  estimate,
  eager = 8,
  margin = WINDOW_MARGIN,
  slotClass = "sdw-slot",
  keepAll = () => false,
}) {
  /** @type {Map<string, Slot>} */
  const slots = new Map();
  /** @type {Map<Element, Slot>} */
  const byElement = new Map();
  const observer =
    typeof IntersectionObserver === "function"
      ? new IntersectionObserver(onIntersect, { rootMargin: margin })
      : null;

  function onIntersect(entries) {
    for (const entry of entries) {
      const slot = byElement.get(entry.target);
      if (!slot) continue;
      if (entry.isIntersecting) mountSlot(slot);
      else if (!keepAll()) unmountSlot(slot);
    }
  }

  function mountSlot(slot) {
    if (slot.item) return;
    slot.item = mount(slot.key);
    slot.el.replaceChildren(slot.item.node);
    slot.el.style.minHeight = "";
    slot.el.dataset.mounted = "true";
  }

  function unmountSlot(slot) {
    if (!slot.item) return;
    const measured = slot.el.offsetHeight;
    if (measured > 0) slot.height = measured;
    slot.el.style.minHeight = `${slot.height}px`;
    slot.item.dispose?.();
    slot.item = null;
    slot.el.replaceChildren();
    delete slot.el.dataset.mounted;
  }

  function newSlot(key) {
    const el = document.createElement("div");
    el.className = slotClass;
    el.dataset.key = key;
    el.style.minHeight = `${estimate}px`;
    const slot = { key, el, item: null, height: estimate };
    slots.set(key, slot);
    byElement.set(el, slot);
    observer?.observe(el);
    return slot;
  }

  function removeSlot(slot) {
    unmountSlot(slot);
    observer?.unobserve(slot.el);
    byElement.delete(slot.el);
    slots.delete(slot.key);
    slot.el.remove();
  }

  return {
    /** Show exactly `keys`, in this order (new slots made, old ones removed, moved ones moved). */
    setKeys(keys) {
      const wanted = new Set(keys);
      for (const slot of [...slots.values()]) if (!wanted.has(slot.key)) removeSlot(slot);
      let previous = null;
      keys.forEach((key, index) => {
        const slot = slots.get(key) || newSlot(key);
        const expected = previous ? previous.nextSibling : container.firstChild;
        if (expected !== slot.el) {
          if (previous) previous.after(slot.el);
          else container.prepend(slot.el);
        }
        previous = slot.el;
        if (!slot.item && (index < eager || observer === null || keepAll())) mountSlot(slot);
      });
    },

    /** The mounted item of `key`, or null (not shown now). */
    item(key) {
      return slots.get(String(key))?.item ?? null;
    },

    /** Every mounted item. */
    *mounted() {
      for (const slot of slots.values()) if (slot.item) yield slot.item;
    },

    /** The slot element of `key` (to scroll it into view), or null. */
    slot(key) {
      return slots.get(String(key))?.el ?? null;
    },

    get size() {
      return slots.size;
    },

    dispose() {
      observer?.disconnect();
      for (const slot of [...slots.values()]) removeSlot(slot);
    },
  };
}
