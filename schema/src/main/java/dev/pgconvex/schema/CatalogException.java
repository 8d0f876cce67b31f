package dev.pgconvex.schema;

import java.util.List;

/**
 * The catalog cannot be mapped: every problem, each naming the table or column and the fix. Not
 * retried.
 */
public final class CatalogException extends RuntimeException {
  private final List<String> problems;

  public CatalogException(List<String> problems) {
    super(
        problems.size() == 1
            ? problems.get(0)
            : "Cannot map the Postgres schema ("
                + problems.size()
                + " problems):"
                + System.lineSeparator()
                + "  - "
                + String.join(System.lineSeparator() + "  - ", problems));
    this.problems = List.copyOf(problems);
  }

  public List<String> problems() {
    return problems;
  }
}
