import { defineConfig } from "vitest/config";

// convex-test runs the functions in the edge-runtime environment, like the Convex runtime.
export default defineConfig({
  test: {
    environment: "edge-runtime",
    server: { deps: { inline: ["convex-test"] } },
    include: ["tests/**/*.test.ts"],
    testTimeout: 120_000,
  },
});
