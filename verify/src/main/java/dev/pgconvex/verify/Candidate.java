package dev.pgconvex.verify;

/**
 * A key found different in the chunk pass, until it settles: the latest finding, the row and key
 * row position it was seen with, and whether either changed since the verify began.
 */
final class Candidate {
  Finding finding;
  PgRow row;
  String position;
  boolean changed;
  final long firstSeenNanos = System.nanoTime();

  Candidate(Finding finding, PgRow row, String position) {
    this.finding = finding;
    this.row = row;
    this.position = position;
  }
}
