// Windowing: slots for every key, items only where the observer says they are near.
import { afterEach, describe, expect, it, vi } from "vitest";
import { createWindowedList } from "../src/core/windowed-list.js";

let observed;
class FakeObserver {
  constructor(callback) {
    observed = { callback, targets: new Set() };
  }
  observe(el) {
    observed.targets.add(el);
  }
  unobserve(el) {
    observed.targets.delete(el);
  }
  disconnect() {
    observed.targets.clear();
  }
}

afterEach(() => vi.unstubAllGlobals());

describe("windowed list", () => {
  it("mounts the first items at once and the others when they come near", () => {
    vi.stubGlobal("IntersectionObserver", FakeObserver);
    const container = document.createElement("div");
    const disposed = [];
    const list = createWindowedList({
      container,
      estimate: 100,
      eager: 2,
      mount: (key) => ({
        node: Object.assign(document.createElement("p"), { textContent: key }),
        dispose: () => disposed.push(key),
      }),
    });
    list.setKeys(["a", "b", "c", "d"]);
    expect(container.children).toHaveLength(4);
    expect([...list.mounted()].map((i) => i.node.textContent)).toEqual(["a", "b"]);
    expect(list.slot("d").style.minHeight).toBe("100px");
    const slotD = list.slot("d");
    const slotA = list.slot("a");
    observed.callback([
      { target: slotD, isIntersecting: true },
      { target: slotA, isIntersecting: false },
    ]);
    expect(list.item("d").node.textContent).toBe("d");
    expect(list.item("a")).toBeNull();
    expect(disposed).toEqual(["a"]);
    list.setKeys(["e", "d"]); // a new key first, others gone
    expect([...container.children].map((el) => el.dataset.key)).toEqual(["e", "d"]);
    expect(disposed).toEqual(["a", "b"]); // b was mounted and went; d stays mounted
    expect(list.item("d").node.textContent).toBe("d");
    list.dispose();
    expect(container.children).toHaveLength(0);
  });

  it("keeps a short list whole", () => {
    vi.stubGlobal("IntersectionObserver", FakeObserver);
    const container = document.createElement("div");
    const list = createWindowedList({
      container,
      estimate: 50,
      eager: 1,
      keepAll: () => true,
      mount: () => ({ node: document.createElement("p") }),
    });
    list.setKeys(["a", "b"]);
    observed.callback([{ target: list.slot("a"), isIntersecting: false }]);
    expect([...list.mounted()]).toHaveLength(2);
  });

  it("without IntersectionObserver mounts everything", () => {
    vi.stubGlobal("IntersectionObserver", undefined);
    const container = document.createElement("div");
    const list = createWindowedList({
      container,
      estimate: 50,
      eager: 1,
      mount: () => ({ node: document.createElement("p") }),
    });
    list.setKeys(["a", "b", "c"]);
    expect([...list.mounted()]).toHaveLength(3);
  });
});
