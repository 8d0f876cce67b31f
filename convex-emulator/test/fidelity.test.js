// Runs every case of convex/tests/applyBatch.cases.ts (the functions folder's own
// behaviour spec, also run there against convex-test) against the emulator over HTTP.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import * as esbuild from "esbuild";
import { jsonToConvex } from "convex/values";
import { ROOT, ADMIN, post } from "./helpers.js";
import { Emulator } from "../src/server.js";

const FUNCTIONS = path.resolve(ROOT, "../convex");
const CASES = path.join(FUNCTIONS, "tests/applyBatch.cases.ts");
const available = fs.existsSync(CASES) && fs.existsSync(path.join(FUNCTIONS, "cdc/ingest.ts"));

let em;
let mod;
let tmp;

before(async () => {
  if (!available) return;
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "convex-emulator-cases-"));
  const out = path.join(tmp, "cases.mjs");
  await esbuild.build({ entryPoints: [CASES], bundle: true, format: "esm", platform: "node", outfile: out, logLevel: "silent" });
  mod = await import(pathToFileURL(out).href);
  em = await new Emulator({ adminKey: ADMIN, functionsDir: FUNCTIONS }).start();
});

after(async () => {
  if (em) await em.close();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

test("applyBatch cases of the functions folder pass over HTTP", { skip: !available && "no convex/tests/applyBatch.cases.ts" }, async (t) => {
  assert.ok(mod.cases.length > 0);
  for (const c of mod.cases) {
    await t.test(c.name, async () => {
      const reset = await post(em.url, "/_emulator/reset", {}, { key: ADMIN });
      assert.equal(reset.status, 200);
      const results = [];
      const isId = (table, id) => em.db.normalizeId(table, id) !== null;
      for (const [i, step] of c.steps.entries()) {
        const args = mod.resolveArgs(step.args, results);
        const route = mod.MUTATIONS.has(step.fn) ? "/api/mutation" : "/api/query";
        const r = await post(em.url, route, { path: step.fn, args, format: "convex_encoded_json" }, { key: ADMIN });
        assert.equal(r.status, 200, `step ${i} (${step.fn}): HTTP ${r.status} ${r.text}`);
        const outcome =
          r.body.status === "success"
            ? jsonToConvex(r.body.value)
            : { $error: { message: r.body.errorMessage, data: r.body.errorData === undefined ? undefined : jsonToConvex(r.body.errorData) } };
        results.push(outcome);
        const problems = await mod.matchExpected(outcome, step.expect, { results, isId });
        assert.deepEqual(problems, [], `step ${i} (${step.fn}) returned ${JSON.stringify(outcome).slice(0, 2000)}`);
      }
    });
  }
});
