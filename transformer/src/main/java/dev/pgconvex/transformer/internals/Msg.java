package dev.pgconvex.transformer.internals;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.pgconvex.common.model.DeadLetter;
import dev.pgconvex.common.model.Operation;

/**
 * The value of every internal stream of the topology: exactly one component is non-null. One type
 * lets the streams that feed one processor be merged and share one serde.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Msg(
    RowChange row,
    RefRequest request,
    RefResponse response,
    IdUpdate ids,
    Operation op,
    DeadLetter dead) {

  public static Msg of(RowChange row) {
    return new Msg(row, null, null, null, null, null);
  }

  public static Msg of(RefRequest request) {
    return new Msg(null, request, null, null, null, null);
  }

  public static Msg of(RefResponse response) {
    return new Msg(null, null, response, null, null, null);
  }

  public static Msg of(IdUpdate ids) {
    return new Msg(null, null, null, ids, null, null);
  }

  public static Msg of(Operation op) {
    return new Msg(null, null, null, null, op, null);
  }

  public static Msg of(DeadLetter dead) {
    return new Msg(null, null, null, null, null, dead);
  }
}
