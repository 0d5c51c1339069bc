// The page's bounded media: videos asked for at most 3 at a time and at most 8 kept (least
// recently used revoked), posters asked for in one message per moment.
import { describe, expect, it } from "vitest";
import { PosterCache } from "../src/core/poster-cache.js";
import { VideoCache } from "../src/core/video-cache.js";

function fakeUrls() {
  let n = 0;
  const live = new Set();
  return {
    live,
    createObjectURL() {
      n += 1;
      live.add(`blob:${n}`);
      return `blob:${n}`;
    },
    revokeObjectURL(url) {
      live.delete(url);
    },
  };
}

const video = (id) => [
  { type: "video", job_id: id, name: `${id}.mp4`, mime: "video/mp4" },
  [new Uint8Array([1, 2, 3]).buffer],
];

describe("VideoCache", () => {
  it("sends at most maxInFlight requests, the rest when answers come", () => {
    const sent = [];
    const cache = new VideoCache({ urls: fakeUrls(), maxInFlight: 3 });
    cache.viewOpened();
    for (const id of ["a", "b", "c", "d", "e"]) cache.request(id, (m) => sent.push(m.job_id));
    expect(sent).toEqual(["a", "b", "c"]);
    cache.receive(...video("a"));
    expect(sent).toEqual(["a", "b", "c", "d"]);
    cache.request("a", (m) => sent.push(m.job_id)); // here already: nothing sent
    expect(sent).toHaveLength(4);
  });

  it("keeps at most `capacity` videos, revoking the least recently used", () => {
    const urls = fakeUrls();
    const cache = new VideoCache({ urls, capacity: 2, maxInFlight: 9 });
    cache.viewOpened();
    for (const id of ["a", "b", "c"]) cache.request(id, () => {});
    cache.receive(...video("a"));
    cache.receive(...video("b"));
    cache.touch("a"); // played again: b is now the oldest
    expect(cache.receive(...video("c"))).toEqual(["c", "b"]);
    expect(cache.get("b")).toBeUndefined();
    expect(cache.get("a").state).toBe("ready");
    expect(urls.live.size).toBe(2);
  });
});

describe("PosterCache", () => {
  it("asks for the posters of one moment in one message, once each", () => {
    const sent = [];
    const pending = [];
    const cache = new PosterCache({ urls: fakeUrls(), defer: (fn) => pending.push(fn) });
    for (const id of ["a", "b", "a"]) cache.want(id, (m) => sent.push(m));
    expect(sent).toEqual([]);
    pending.shift()();
    expect(sent).toEqual([{ type: "posters", job_ids: ["a", "b"] }]);
    expect(cache.url("a")).toBeNull();
    cache.receive({ type: "poster", job_id: "a", mime: "image/jpeg" }, [new Uint8Array([1])]);
    expect(cache.url("a")).toMatch(/^blob:/);
  });

  it("keeps at most `capacity` posters", () => {
    const urls = fakeUrls();
    const cache = new PosterCache({ urls, capacity: 2, defer: () => {} });
    for (const id of ["a", "b", "c"]) {
      cache.want(id, () => {});
      cache.receive({ type: "poster", job_id: id }, [new Uint8Array([1])]);
    }
    expect(cache.url("a")).toBeNull();
    expect(cache.url("c")).toMatch(/^blob:/);
    expect(urls.live.size).toBe(2);
  });
});
