package dev.pgconvex.cutover;

import java.util.List;
import java.util.stream.Collectors;

/**
 * The readiness checks of one cutover ({@link Readiness}).
 *
 * @param checks each check with its value and verdict
 */
public record ReadinessReport(List<Check> checks) {
  public ReadinessReport {
    checks = List.copyOf(checks);
  }

  /** No check is {@link Check.Verdict#NOT_OK}. */
  public boolean ready() {
    return checks.stream().noneMatch(c -> c.verdict() == Check.Verdict.NOT_OK);
  }

  /** The checks that block, as {@code name: reason; ...} (empty when ready). */
  public String reasons() {
    return checks.stream()
        .filter(c -> c.verdict() == Check.Verdict.NOT_OK)
        .map(c -> c.name() + ": " + c.value() + ": " + c.reason())
        .collect(Collectors.joining("; "));
  }
}
