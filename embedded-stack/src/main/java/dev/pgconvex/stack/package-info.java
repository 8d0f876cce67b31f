/**
 * Real servers for local runs and tests, without Docker: {@link
 * dev.pgconvex.stack.EmbeddedPostgresServer} (PostgreSQL 17, logical replication on), {@link
 * dev.pgconvex.stack.EmbeddedKafkaBroker} (single-node KRaft broker in this JVM), {@link
 * dev.pgconvex.stack.ConvexEmulatorProcess} (the project's Convex emulator as a child process) and
 * {@link dev.pgconvex.stack.EmbeddedStack}, which starts whichever of the three {@link
 * dev.pgconvex.stack.StackSettings} does not point to an external server.
 *
 * <p>Every server picks free ports, keeps its files under a directory the caller gives, keeps port
 * and data across {@code stop()}/{@code start()}/{@code restart()}, and deletes its files in an
 * idempotent {@code close()}. Start failures are {@link dev.pgconvex.stack.StackException}s.
 * Passwords and admin keys are {@link dev.pgconvex.common.config.Secret}s and are never logged.
 *
 * <p>Tests share servers through {@link dev.pgconvex.stack.testing.SharedStack}.
 */
package dev.pgconvex.stack;
