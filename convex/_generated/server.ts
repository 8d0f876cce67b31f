/* eslint-disable */
/**
 * Generated utilities for implementing server-side Convex query and mutation functions.
 *
 * CODEGEN EQUIVALENT, WRITTEN BY HAND: this file is what `npx convex codegen` (with
 * `"codegen": {"fileType": "ts"}`) produces for this folder; it is committed so the folder type-checks and
 * tests without a deployment. `npx convex dev` / `npx convex codegen` may overwrite it.
 * @module
 */

import type {
  ActionBuilder,
  HttpActionBuilder,
  MutationBuilder,
  QueryBuilder,
  GenericActionCtx,
  GenericMutationCtx,
  GenericQueryCtx,
  GenericDatabaseReader,
  GenericDatabaseWriter,
} from "convex/server";
import {
  actionGeneric,
  httpActionGeneric,
  queryGeneric,
  mutationGeneric,
  internalActionGeneric,
  internalMutationGeneric,
  internalQueryGeneric,
} from "convex/server";
import type { DataModel } from "./dataModel.js";

/** Define a query in this Convex app's public API. */
export const query: QueryBuilder<DataModel, "public"> = queryGeneric;

/** Define a query that is only accessible from other Convex functions and admin keys (not from clients). */
export const internalQuery: QueryBuilder<DataModel, "internal"> = internalQueryGeneric;

/** Define a mutation in this Convex app's public API. */
export const mutation: MutationBuilder<DataModel, "public"> = mutationGeneric;

/** Define a mutation that is only accessible from other Convex functions and admin keys (not from clients). */
export const internalMutation: MutationBuilder<DataModel, "internal"> = internalMutationGeneric;

/** Define an action in this Convex app's public API. */
export const action: ActionBuilder<DataModel, "public"> = actionGeneric;

/** Define an action that is only accessible from other Convex functions and admin keys. */
export const internalAction: ActionBuilder<DataModel, "internal"> = internalActionGeneric;

/** Define an HTTP action (route it in `convex/http.ts`). */
export const httpAction: HttpActionBuilder = httpActionGeneric;

/** The deployment's environment variables. */
export const env: Record<string, string | undefined> = (
  globalThis as unknown as { process: { env: Record<string, string | undefined> } }
).process.env;

/** The context passed to query functions. */
export type QueryCtx = GenericQueryCtx<DataModel>;

/** The context passed to mutation functions. */
export type MutationCtx = GenericMutationCtx<DataModel>;

/** The context passed to action functions. */
export type ActionCtx = GenericActionCtx<DataModel>;

/** Reads the database inside queries and mutations. */
export type DatabaseReader = GenericDatabaseReader<DataModel>;

/** Reads and writes the database inside mutations (all writes of one mutation commit atomically). */
export type DatabaseWriter = GenericDatabaseWriter<DataModel>;

