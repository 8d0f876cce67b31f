package dev.pgconvex.transformer;

import java.util.List;

/**
 * A row held back because a required parent's Convex id is not known yet (an orphan, if the parent
 * never arrives).
 *
 * @param childRef the row's doc ref ({@code posts/[7]})
 * @param position the position of its latest change
 * @param missingParents doc refs of the parents it waits for
 */
public record PendingRow(String childRef, String position, List<String> missingParents) {
  public PendingRow {
    missingParents = List.copyOf(missingParents);
  }
}
