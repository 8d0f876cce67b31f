/**
 * Schema of the demo/test deployment: the Vercel Postgres seed tables (users, threads, messages; see
 * shared/seeds/vercel-postgres-to-convex-migration.txt), a composite-key table for tests, and the CDC tables.
 *
 * Translation rules applied to the Postgres DDL:
 * - table names camelCase of the Postgres names, columns snake_case -> camelCase;
 * - serial/identity primary keys dropped (Convex `_id` replaces them; the Postgres key lives in `cdc_keys`);
 * - foreign-key columns become `v.id("<parent>")` (required, as the columns are NOT NULL) with an index each;
 * - timestamp/timestamptz -> `v.number()` (epoch ms); text/varchar -> `v.string()`; integer -> `v.number()`;
 *   boolean -> `v.boolean()`; json/jsonb -> `v.any()`; nullable -> `v.optional(...)`;
 * - numeric/decimal -> `v.string()`: exact decimal text (Debezium `decimal.handling.mode=string`); float64
 *   would round it. The seed's DDL has no rule for it, this is the pipeline's choice.
 * - Postgres secondary indexes are kept as Convex indexes (`by_<field>`).
 */
import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";
import { cdcTables } from "./cdc/tables";

export default defineSchema({
  // public.users (id int4 serial PK dropped)
  users: defineTable({
    clerkUserId: v.string(), // clerk_user_id varchar(255) NOT NULL
    email: v.string(), // email varchar(255) NOT NULL
    image: v.optional(v.string()), // image varchar(255)
    credits: v.string(), // credits numeric(10,2) NOT NULL DEFAULT 0 (decimal text)
    createdAt: v.optional(v.number()), // "createdAt" timestamptz DEFAULT CURRENT_TIMESTAMP (nullable)
  })
    .index("by_clerkUserId", ["clerkUserId"])
    .index("by_email", ["email"]),

  // public.threads (id int4 serial PK dropped)
  threads: defineTable({
    userId: v.id("users"), // user_id int4 NOT NULL -> users
    clerkUserId: v.string(), // clerk_user_id varchar(255) NOT NULL
    metadata: v.optional(v.any()), // metadata jsonb
    createdAt: v.optional(v.number()), // "createdAt" timestamptz DEFAULT CURRENT_TIMESTAMP (nullable)
  })
    .index("by_userId", ["userId"])
    .index("by_clerkUserId", ["clerkUserId"]),

  // public.messages (id int4 serial PK dropped)
  messages: defineTable({
    threadId: v.id("threads"), // thread_id int4 NOT NULL -> threads
    clerkUserId: v.string(), // clerk_user_id varchar(255) NOT NULL
    role: v.string(), // role varchar(50) NOT NULL
    content: v.string(), // content text NOT NULL
    createdAt: v.optional(v.number()), // created_at timestamptz DEFAULT CURRENT_TIMESTAMP (nullable)
    toolInvocations: v.optional(v.any()), // tool_invocations jsonb
    finishReason: v.optional(v.string()), // finish_reason varchar(50)
    totalTokens: v.optional(v.number()), // total_tokens int4
    promptTokens: v.optional(v.number()), // prompt_tokens int4
    completionTokens: v.optional(v.number()), // completion_tokens int4
    modelId: v.optional(v.string()), // model_id varchar(255)
    costInCents: v.optional(v.string()), // cost_in_cents numeric(10,2) (decimal text)
  })
    .index("by_threadId", ["threadId"])
    .index("by_clerkUserId", ["clerkUserId"]),

  // Test table with a composite primary key: public.order_items (order_id int4, line_no int4, sku text),
  // PRIMARY KEY (order_id, line_no). Source keys look like `[1001,2]`. Composite primary keys keep their
  // columns (they are data, not a surrogate) plus an index on them.
  orderItems: defineTable({
    orderId: v.number(),
    lineNo: v.number(),
    sku: v.string(),
  }).index("by_orderId_lineNo", ["orderId", "lineNo"]),

  ...cdcTables,
});
