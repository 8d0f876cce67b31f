/**
 * The Convex sink stage: {@link dev.pgconvex.sink.ConvexSink} (the service), {@link
 * dev.pgconvex.sink.SinkConfig} (its configuration) and {@link dev.pgconvex.sink.SinkMain} (the
 * process entry point). Everything else in sub-packages is an implementation detail; {@code
 * internals} is not API.
 */
package dev.pgconvex.sink;
