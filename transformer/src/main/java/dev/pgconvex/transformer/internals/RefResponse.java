package dev.pgconvex.transformer.internals;

/**
 * The resolver's answer to a {@link RefRequest}: the parent's Convex id, echoing the request's
 * position so the assembler can drop stale answers. Keyed by the child ref. A null {@code id} means
 * "not known yet; you will get another answer when it is".
 *
 * @param revoked true (with a null id) when the request carried a {@link RefRequest#knownId} but
 *     the parent has no id any more (deleted): the assembler forgets that id and treats the
 *     relation as not known yet
 */
public record RefResponse(
    String childRef, String field, String parentRef, String id, String position, boolean revoked) {
  /** An answer to a request that knew no id. */
  public RefResponse(String childRef, String field, String parentRef, String id, String position) {
    this(childRef, field, parentRef, id, position, false);
  }
}
