package dev.pgconvex.source.preflight;

import java.util.List;

/**
 * The database is not ready for change capture, or the slot cannot be continued without a gap.
 * Carries every problem found, each with its fix. Never retried: an operator must act.
 */
public final class SourcePreflightException extends RuntimeException {
  private final List<String> problems;

  public SourcePreflightException(List<String> problems) {
    super(format(problems));
    if (problems.isEmpty()) {
      throw new IllegalArgumentException("no problems");
    }
    this.problems = List.copyOf(problems);
  }

  /** Every problem, one sentence each with what to do. */
  public List<String> problems() {
    return problems;
  }

  static String format(List<String> problems) {
    StringBuilder sb =
        new StringBuilder("Postgres is not ready for change capture (")
            .append(problems.size())
            .append(problems.size() == 1 ? " problem):" : " problems):");
    for (String p : problems) {
      sb.append(System.lineSeparator()).append("  - ").append(p);
    }
    return sb.toString();
  }
}
