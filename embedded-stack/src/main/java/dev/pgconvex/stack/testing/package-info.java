/**
 * Test support for every module's {@code *IT} tests: {@link dev.pgconvex.stack.testing.SharedStack}
 * (one Postgres, one broker and one Convex emulator per test JVM, started on first use) and {@link
 * dev.pgconvex.stack.testing.TestNames} (unique, lower-case names for databases, slots, topics and
 * groups). Kept in main sources so other modules depend on it with test scope.
 */
package dev.pgconvex.stack.testing;
