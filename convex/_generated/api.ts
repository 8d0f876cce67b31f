/* eslint-disable */
/**
 * Generated `api` utility.
 *
 * CODEGEN EQUIVALENT, WRITTEN BY HAND: this file is what `npx convex codegen` (with
 * `"codegen": {"fileType": "ts"}`) produces for this folder; it is committed so the folder type-checks and
 * tests without a deployment. `npx convex dev` / `npx convex codegen` may overwrite it.
 * @module
 */

import type { ApiFromModules, FilterApi, FunctionReference } from "convex/server";
import { anyApi, componentsGeneric } from "convex/server";
import type * as cdc_cutover from "../cdc/cutover.js";
import type * as cdc_ingest from "../cdc/ingest.js";
import type * as cdc_lineage from "../cdc/lineage.js";
import type * as cdc_markers from "../cdc/markers.js";
import type * as cdc_migrations from "../cdc/migrations.js";
import type * as cdc_tables from "../cdc/tables.js";
import type * as cdc_verify from "../cdc/verify.js";

const fullApi: ApiFromModules<{
  "cdc/cutover": typeof cdc_cutover;
  "cdc/ingest": typeof cdc_ingest;
  "cdc/lineage": typeof cdc_lineage;
  "cdc/markers": typeof cdc_markers;
  "cdc/migrations": typeof cdc_migrations;
  "cdc/tables": typeof cdc_tables;
  "cdc/verify": typeof cdc_verify;
}> = anyApi as any;

/**
 * A utility for referencing Convex functions in your app's public API.
 *
 * Usage: `const myFunctionReference = api.myModule.myFunction;`
 */
export const api: FilterApi<typeof fullApi, FunctionReference<any, "public">> = anyApi as any;

/**
 * A utility for referencing Convex functions in your app's internal API.
 *
 * Usage: `const ref = internal.cdc.ingest.applyBatch;`
 */
export const internal: FilterApi<typeof fullApi, FunctionReference<any, "internal">> = anyApi as any;

/** This app's components (none). */
export const components = componentsGeneric() as unknown as {};
