import { describe, expect, it } from "vitest";
import {
  chipLabel,
  elapsedSeconds,
  etaText,
  formatElapsed,
  formatValue,
  guessOrientation,
  hasRatios,
  humanise,
  isAutoDuration,
  optionLabel,
  orientation,
  plural,
  ratioOf,
  shorten,
  stableJson,
} from "../src/util/format.js";

const duration = { name: "duration", type: "integer", enum: [-1, 4, 5] };
const ratio = { name: "aspect_ratio", type: "string", enum: ["16:9", "adaptive"] };

describe("labels", () => {
  it("humanises names", () => {
    expect(humanise("aspect_ratio")).toBe("Aspect ratio");
    expect(humanise("generate-audio")).toBe("Generate audio");
    expect(chipLabel("generate_audio")).toBe("Audio");
    expect(chipLabel("aspect_ratio")).toBe("Aspect ratio");
  });

  it("formats values by field", () => {
    expect(isAutoDuration(duration)).toBe(true);
    expect(isAutoDuration(ratio)).toBe(false);
    expect(formatValue(duration, -1)).toBe("Auto");
    expect(formatValue(duration, 5)).toBe("5 s");
    expect(formatValue(undefined, true)).toBe("On");
    expect(formatValue(undefined, false)).toBe("Off");
    expect(formatValue(undefined, null)).toBe("—");
    expect(formatValue(ratio, "16:9")).toBe("16:9");
  });

  it("labels options", () => {
    expect(optionLabel(duration, -1)).toBe("Auto");
    expect(optionLabel(duration, 4)).toBe("4s");
    expect(optionLabel(ratio, "adaptive")).toBe("Adaptive");
    expect(optionLabel(ratio, "16:9")).toBe("16:9");
    expect(optionLabel({ enum: ["480p"] }, "480p")).toBe("480p");
  });

  it("recognises ratios", () => {
    expect(hasRatios(ratio)).toBe(true);
    expect(hasRatios(duration)).toBe(false);
    expect(hasRatios(undefined)).toBe(false);
    expect(ratioOf("9:16")).toEqual({ width: 9, height: 16 });
    expect(ratioOf("2.39:1")).toEqual({ width: 2.39, height: 1 });
    expect(ratioOf("adaptive")).toBeNull();
  });

  it("pluralises and shortens", () => {
    expect(plural(1, "generation")).toBe("1 generation");
    expect(plural(6, "generation")).toBe("6 generations");
    expect(shorten("abcdef", 4)).toBe("abc…");
    expect(shorten("abc", 4)).toBe("abc");
  });
});

describe("orientation: one function for pixel sizes and ratios", () => {
  it("uses a single 5% square tolerance", () => {
    expect(orientation(1920, 1080)).toBe("landscape");
    expect(orientation(496, 864)).toBe("portrait");
    expect(orientation(100, 100)).toBe("square");
    expect(orientation(104, 100)).toBe("square");
    expect(orientation(106, 100)).toBe("landscape");
    expect(orientation(100, 106)).toBe("portrait");
  });

  it("guesses from the first ratio parameter, landscape otherwise", () => {
    expect(guessOrientation({ prompt: "x", aspect_ratio: "9:16" })).toBe("portrait");
    expect(guessOrientation({ aspect_ratio: "1:1" })).toBe("square");
    expect(guessOrientation({ aspect_ratio: "21:9" })).toBe("landscape");
    expect(guessOrientation({ aspect_ratio: "adaptive" })).toBe("landscape");
    expect(guessOrientation(undefined)).toBe("landscape");
  });
});

describe("times", () => {
  it("formats elapsed seconds", () => {
    expect(formatElapsed(4.25)).toBe("4.3 s");
    expect(formatElapsed(187)).toBe("3m 07s");
    expect(formatElapsed(3900)).toBe("1h 05m");
    expect(formatElapsed(-3)).toBe("0.0 s");
    expect(formatElapsed(Number.NaN)).toBe("0.0 s");
  });

  it("measures a job from creation to its end or now", () => {
    expect(elapsedSeconds({ created_at: 100, finished_at: 112.5 }, 500)).toBe(12.5);
    expect(elapsedSeconds({ created_at: 100, finished_at: null }, 130)).toBe(30);
    expect(elapsedSeconds({ created_at: null }, 130)).toBeNull();
    expect(elapsedSeconds({ created_at: 200 }, 100)).toBe(0);
  });

  it("shows an ETA only while processing with a known median", () => {
    const job = { status: "processing", eta_seconds: 40, started_at: 100, created_at: 90 };
    expect(etaText(job, 110)).toEqual({
      text: "ETA ~30 s",
      title: "Typical processing time here: 40.0 s",
    });
    expect(etaText(job, 140).text).toBe("ETA any moment");
    expect(etaText({ ...job, status: "queued" }, 110)).toBeNull();
    expect(etaText({ ...job, eta_seconds: null }, 110)).toBeNull();
    expect(etaText({ ...job, started_at: null }, 100).text).toBe("ETA ~30 s");
  });
});

describe("stableJson", () => {
  it("sorts keys at every level", () => {
    expect(stableJson({ b: 1, a: { d: [1, { z: 0, y: 1 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[1,{"y":1,"z":0}]},"b":1}',
    );
    expect(stableJson({ a: 1, b: 2 })).toBe(stableJson({ b: 2, a: 1 }));
  });
});
