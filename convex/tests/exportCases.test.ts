// @vitest-environment node
/// <reference types="node" />
/**
 * Writes the cases of `applyBatch.cases.ts` to `target/applyBatch.cases.json`, for runners that are not
 * written in TypeScript (Maven builds this folder before the modules that may read the file).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, test } from "vitest";
import { cases } from "./applyBatch.cases";

test("export the cases as JSON", () => {
  const target = join(dirname(fileURLToPath(import.meta.url)), "..", "target");
  mkdirSync(target, { recursive: true });
  const file = join(target, "applyBatch.cases.json");
  writeFileSync(file, JSON.stringify({ cases }) + "\n");
  expect(cases.length).toBeGreaterThan(0);
});
