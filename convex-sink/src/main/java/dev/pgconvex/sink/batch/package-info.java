/**
 * Batching and applying ops: per-partition buffers, {@link dev.pgconvex.sink.batch.BatchApplier}
 * (retry, backoff, split-to-isolate), {@link dev.pgconvex.sink.batch.AimdLimiter} (adaptive
 * concurrency on 429).
 */
package dev.pgconvex.sink.batch;
