/**
 * The pipeline's lineage: which Postgres its positions come from and which Convex mirror its ids
 * belong to, recorded in the compacted topic {@code <prefix>.lineage} (written by the source and
 * the sink, read by both at start) and in Convex ({@code cdc_lineage}). A stage that finds state of
 * another lineage stops before writing and names {@code ./cdc reset}. See docs/contracts.md.
 */
package dev.pgconvex.common.lineage;
