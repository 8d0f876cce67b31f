/**
 * Runs the data-driven cases of `applyBatch.cases.ts` against convex-test, the way a runner against any
 * other Convex host does (see that file's header).
 */
import { makeFunctionReference } from "convex/server";
import { ConvexError } from "convex/values";
import { describe, expect, test } from "vitest";
import { cases, matchExpected, MUTATIONS, resolveArgs, type CaseStep } from "./applyBatch.cases";
import { newDeployment } from "./test.helpers";

type Deployment = ReturnType<typeof newDeployment>;

/** Calls a step's function; a failure becomes `{ $error: { message, data } }`. */
async function call(t: Deployment, step: CaseStep, args: unknown): Promise<unknown> {
  try {
    if (MUTATIONS.has(step.fn)) {
      return await t.mutation(makeFunctionReference<"mutation">(step.fn), args as any);
    }
    return await t.query(makeFunctionReference<"query">(step.fn), args as any);
  } catch (e) {
    const error = e as Error;
    return { $error: { message: error.message, data: e instanceof ConvexError ? e.data : undefined } };
  }
}

describe("applyBatch cases", () => {
  test("the cases are JSON data", () => {
    expect(JSON.parse(JSON.stringify(cases))).toEqual(cases);
    expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length);
  });

  for (const c of cases) {
    test(c.name, async () => {
      const t = newDeployment();
      const results: unknown[] = [];
      const isId = (table: string, id: string) =>
        t.run(async (ctx) => ctx.db.normalizeId(table as any, id) !== null);
      for (const [i, step] of c.steps.entries()) {
        const outcome = await call(t, step, resolveArgs(step.args, results));
        results.push(outcome);
        const problems = await matchExpected(outcome, step.expect, { results, isId });
        expect(problems, `step ${i} (${step.fn}) returned ${JSON.stringify(outcome).slice(0, 2000)}`).toEqual([]);
      }
    });
  }
});
