/** The sink's consumer loop, per-batch work, checkpointing and meters. Not API. */
package dev.pgconvex.sink.internals;
