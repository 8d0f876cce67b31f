/* eslint-disable */
/**
 * Generated data model types.
 *
 * CODEGEN EQUIVALENT, WRITTEN BY HAND: this file is what `npx convex codegen` (with
 * `"codegen": {"fileType": "ts"}`) produces for this folder; it is committed so the folder type-checks and
 * tests without a deployment. `npx convex dev` / `npx convex codegen` may overwrite it.
 * @module
 */

import type {
  DataModelFromSchemaDefinition,
  DocumentByName,
  TableNamesInDataModel,
  SystemTableNames,
} from "convex/server";
import type { GenericId } from "convex/values";
import schema from "../schema.js";

/**
 * The names of all of your Convex tables.
 */
export type TableNames = TableNamesInDataModel<DataModel>;

/**
 * The type of a document stored in Convex.
 *
 * @typeParam TableName - A string literal type of the table name (like "users").
 */
export type Doc<TableName extends TableNames> = DocumentByName<DataModel, TableName>;

/**
 * An identifier for a document in Convex.
 *
 * @typeParam TableName - A string literal type of the table name (like "users").
 */
export type Id<TableName extends TableNames | SystemTableNames> = GenericId<TableName>;

/**
 * A type describing your Convex data model (derived from `schema.ts`).
 */
export type DataModel = DataModelFromSchemaDefinition<typeof schema>;
