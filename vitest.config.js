// The front end's unit tests: js/tests/*.test.js against js/src, in happy-dom.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["js/tests/**/*.test.js"],
    environment: "happy-dom",
    restoreMocks: true,
  },
});
