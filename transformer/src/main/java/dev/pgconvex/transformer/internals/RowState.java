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
 * @param heldSinceMs wall-clock time (epoch ms) since which the row waits for its current missing
 *     parents; null when it is not held, or when it was stored before this field existed (the
 *     orphan check then starts the clock)
 * @param orphanReported true once the row was reported to the dead-letter topic as an orphan for
 *     its current missing parents; absent in older states, read as false
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RowState(
    String position,
    long commitTs,
    Long txId,
    ObjectNode doc,
    List<Rel> relations,
    boolean emitted,
    boolean partial,
    Long heldSinceMs,
    boolean orphanReported) {
  public RowState {
    relations = relations == null ? List.of() : List.copyOf(relations);
  }

  /** A state not (yet) held: no held-since time, not reported. */
  public RowState(
      String position,
      long commitTs,
      Long txId,
      ObjectNode doc,
      List<Rel> relations,
      boolean emitted,
      boolean partial) {
    this(position, commitTs, txId, doc, relations, emitted, partial, null, false);
  }

  /** True when the row is held for at least one required parent (see {@link #missingParents}). */
  public boolean waitsForParent() {
    return !emitted && !missingParents().isEmpty();
  }

  /** The relations this row waits for: required, pointing somewhere, id unknown. */
  public List<Rel> missingRelations() {
    return relations.stream()
        .filter(r -> !r.optional() && r.parentRef() != null && !r.resolved())
        .toList();
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
    return missingRelations().stream().map(Rel::parentRef).toList();
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
    return new RowState(
        position, commitTs, txId, doc, relations, value, partial, heldSinceMs, orphanReported);
  }

  public RowState withRelations(List<Rel> value) {
    return new RowState(
        position, commitTs, txId, doc, value, emitted, partial, heldSinceMs, orphanReported);
  }

  /** This state with the orphan bookkeeping given. */
  public RowState withHeld(Long sinceMs, boolean reported) {
    return new RowState(
        position, commitTs, txId, doc, relations, emitted, partial, sinceMs, reported);
  }

  /**
   * This state with its orphan bookkeeping carried over from {@code prev} (the state it replaces):
   * kept while the row still waits only for parents it already waited for, restarted at {@code
   * nowMs} when it waits for a new parent, cleared when it no longer waits.
   */
  public RowState heldAfter(RowState prev, long nowMs) {
    if (!waitsForParent()) {
      return withHeld(null, false);
    }
    if (prev != null
        && prev.waitsForParent()
        && prev.heldSinceMs() != null
        && prev.missingParents().containsAll(missingParents())) {
      return withHeld(prev.heldSinceMs(), prev.orphanReported());
    }
    return withHeld(nowMs, false);
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
