/**
 * Shared set-up for the tests: a fresh convex-test deployment with the demo schema, Convex's transaction
 * limits enforced, and this folder's modules.
 */
/// <reference types="vite/client" />
import { convexTest } from "convex-test";
import schema from "../schema";

/** The functions folder's modules, keyed by path relative to this file (convex-test finds `_generated`). */
export const modules = import.meta.glob(["../cdc/**/*.ts", "../_generated/**/*.ts", "../schema.ts"]);

/** A new, empty test deployment. */
export function newDeployment() {
  return convexTest({ schema, modules, transactionLimits: true });
}
