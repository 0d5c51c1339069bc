// A keyed collection mirrored from the kernel's `Feed` (seedance_widgets/_widget/feed.py):
// the whole of it on `sync`, then messages holding only the items that changed. Each item
// carries `rev`; an item is kept only if it is newer than the one held, so a patch that
// overtakes the snapshot (or the other way round) is never undone.
//
// Message: {type: "feed", topic, snapshot: bool, items: [{id, rev, ...}]}. A snapshot also
// drops the items it does not list. Listeners hear {changed: Set<id>, reordered: bool}.

/**
 * @param {string} topic e.g. "jobs"
 * @param {{order?: (a: object, b: object) => number}} [options] the items' order (default:
 *        as the snapshot listed them, new items first)
 */
export function createFeed(topic, { order = null } = {}) {
  /** @type {Map<string, object>} */
  const items = new Map();
  /** @type {string[] | null} ids in order, rebuilt lazily */
  let ordered = [];
  let synced = false;
  const listeners = new Set();

  function notify(change) {
    for (const listener of [...listeners]) {
      try {
        listener(change);
      } catch (err) {
        console.error("[seedance-studio]", err);
      }
    }
  }

  function keep(raw) {
    if (!raw || typeof raw !== "object" || raw.id === undefined || raw.id === null) return null;
    const item = { ...raw, id: String(raw.id) };
    const held = items.get(item.id);
    if (held && Number(held.rev) > Number(item.rev)) return null;
    items.set(item.id, item);
    return held ? "changed" : "added";
  }

  return {
    topic,
    /** Whether a snapshot arrived (before it, the list may be incomplete). */
    get synced() {
      return synced;
    },

    /** Take a kernel message; returns whether it was this feed's. */
    receive(content) {
      if (content?.type !== "feed" || content.topic !== topic) return false;
      const list = Array.isArray(content.items) ? content.items : [];
      const changed = new Set();
      let reordered = false;
      if (content.snapshot) {
        synced = true;
        const listed = new Set();
        for (const raw of list) {
          if (raw?.id !== undefined && raw?.id !== null) listed.add(String(raw.id));
          if (keep(raw)) changed.add(String(raw.id));
        }
        for (const id of [...items.keys()]) {
          if (!listed.has(id)) {
            items.delete(id);
            changed.add(id);
          }
        }
        ordered = order ? null : [...listed].filter((id) => items.has(id));
        reordered = true;
      } else {
        for (const raw of list) {
          const how = keep(raw);
          if (!how) continue;
          changed.add(String(raw.id));
          if (how === "added") {
            reordered = true;
            if (ordered && !order) ordered.unshift(String(raw.id));
          }
        }
        if (order && reordered) ordered = null;
      }
      if (changed.size || reordered) notify({ changed, reordered });
      return true;
    },

    /** The items in order. */
    list() {
      if (ordered === null) ordered = [...items.values()].sort(order).map((item) => item.id);
      return ordered.map((id) => items.get(id));
    },

    /** One item by id (undefined when unknown). */
    get: (id) => items.get(String(id)),

    /** The items by id (read only). */
    byId: () => items,

    get size() {
      return items.size;
    },

    /** Hear changes; returns the unsubscribe function. */
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

/** Jobs newest first (the kernel's order: creation time), ties by id. */
export function newestFirst(a, b) {
  const dt = Number(b.created_at || 0) - Number(a.created_at || 0);
  return dt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
}
