package dev.pgconvex.transformer.internals;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Objects;

/**
 * What the assembler remembers of a child row (value of the {@code rows} store).
 *
 * @param position position of the latest change applied
 * @param commitTs its commit time
 * @param txId its transaction id
 * @param doc the row's plain fields, TOAST patches merged in
 * @param relations one entry per known relation
 * @param emitted true once the latest change was written to the ops topic
 * @param partial true when {@code doc} was built from patches only (no whole image seen), so it may
 *     only be written as a patch
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RowState(
    String position,
    long commitTs,
    Long txId,
    ObjectNode doc,
    List<Rel> relations,
    boolean emitted,
    boolean partial) {
  public RowState {
    relations = relations == null ? List.of() : List.copyOf(relations);
  }

  /**
   * True when the row can be written: every relation that points somewhere has its parent's id, or
   * is optional and the resolver said the id is not known yet (so it follows as a patch). Waiting
   * for that answer avoids writing a row twice when the id is known.
   */
  public boolean ready() {
    return relations.stream()
        .allMatch(r -> r.parentRef() == null || r.resolved() || (r.optional() && r.waiting()));
  }

  /** Parents this row waits for (required and unresolved). */
  public List<String> missingParents() {
    return relations.stream()
        .filter(r -> !r.optional() && r.parentRef() != null && !r.resolved())
        .map(Rel::parentRef)
        .toList();
  }

  public Rel relation(String field) {
    for (Rel r : relations) {
      if (r.field().equals(field)) {
        return r;
      }
    }
    return null;
  }

  public RowState withEmitted(boolean value) {
    return new RowState(position, commitTs, txId, doc, relations, value, partial);
  }

  public RowState withRelations(List<Rel> value) {
    return new RowState(position, commitTs, txId, doc, value, emitted, partial);
  }

  /**
   * One relation of the row.
   *
   * @param field Convex field
   * @param parentRef parent's doc ref text, null when the foreign key is NULL
   * @param optional whether the row may be written without it
   * @param resolvedId the parent's Convex id once known
   * @param waiting true once the resolver answered that the parent's id is not known yet
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Rel(
      String field, String parentRef, boolean optional, String resolvedId, boolean waiting) {
    public boolean resolved() {
      return resolvedId != null;
    }

    public boolean samePointer(String otherParentRef) {
      return Objects.equals(parentRef, otherParentRef);
    }
  }
}
