package dev.pgconvex.transformer.internals;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import dev.pgconvex.common.model.DeadLetter;
import dev.pgconvex.common.model.Operation;
import java.io.IOException;

/**
 * The value of every internal stream of the topology: exactly one of seven kinds. One type lets the
 * streams that feed one processor be merged and share one serde.
 *
 * <p>JSON: an object with one field named by the kind ({@code {"row": {...}}}, {@code "request"},
 * {@code "response"}, {@code "ids"}, {@code "op"}, {@code "dead"}, {@code "marker"}), the shape of
 * the repartition topics' records before this was a sealed type, so records written by an older
 * version still read.
 */
@JsonSerialize(using = Msg.Writer.class)
@JsonDeserialize(using = Msg.Reader.class)
public sealed interface Msg {
  /** A converted row change, on its way to the assembler. */
  record Row(RowChange row) implements Msg {}

  /** A child's request for its parent's id, keyed by the parent ref. */
  record Request(RefRequest request) implements Msg {}

  /** The resolver's answer to a request, keyed by the child ref. */
  record Response(RefResponse response) implements Msg {}

  /** A parent's id from the ids topic (null id: the document was deleted). */
  record Ids(IdUpdate ids) implements Msg {}

  /** An operation for the ops topic. */
  record Op(Operation op) implements Msg {}

  /** A dead letter (bad record or orphan report). */
  record Dead(DeadLetter dead) implements Msg {}

  /** A barrier marker, fanned out to every partition of the next internal topic. */
  record Marker(MarkerMsg marker) implements Msg {}

  static Msg of(RowChange row) {
    return new Row(row);
  }

  static Msg of(RefRequest request) {
    return new Request(request);
  }

  static Msg of(RefResponse response) {
    return new Response(response);
  }

  static Msg of(IdUpdate ids) {
    return new Ids(ids);
  }

  static Msg of(Operation op) {
    return new Op(op);
  }

  static Msg of(DeadLetter dead) {
    return new Dead(dead);
  }

  static Msg of(MarkerMsg marker) {
    return new Marker(marker);
  }

  /** Writes {@code {"<kind>": payload}}. */
  final class Writer extends JsonSerializer<Msg> {
    @Override
    public void serialize(Msg msg, JsonGenerator gen, SerializerProvider provider)
        throws IOException {
      gen.writeStartObject();
      if (msg instanceof Row m) {
        provider.defaultSerializeField("row", m.row(), gen);
      } else if (msg instanceof Request m) {
        provider.defaultSerializeField("request", m.request(), gen);
      } else if (msg instanceof Response m) {
        provider.defaultSerializeField("response", m.response(), gen);
      } else if (msg instanceof Ids m) {
        provider.defaultSerializeField("ids", m.ids(), gen);
      } else if (msg instanceof Op m) {
        provider.defaultSerializeField("op", m.op(), gen);
      } else if (msg instanceof Dead m) {
        provider.defaultSerializeField("dead", m.dead(), gen);
      } else if (msg instanceof Marker m) {
        provider.defaultSerializeField("marker", m.marker(), gen);
      }
      gen.writeEndObject();
    }
  }

  /**
   * Reads what {@link Writer} writes; exactly one known field. Streams the payload straight into
   * its type (no intermediate tree: this runs for every record of every internal hop).
   */
  final class Reader extends JsonDeserializer<Msg> {
    @Override
    public Msg deserialize(JsonParser p, DeserializationContext ctx) throws IOException {
      if (!p.isExpectedStartObjectToken()) {
        return ctx.reportInputMismatch(Msg.class, "expected an object naming the kind");
      }
      String kind = p.nextFieldName();
      if (kind == null) {
        return ctx.reportInputMismatch(Msg.class, "expected one field naming the kind: {}");
      }
      p.nextToken();
      Msg msg =
          switch (kind) {
            case "row" -> new Row(ctx.readValue(p, RowChange.class));
            case "request" -> new Request(ctx.readValue(p, RefRequest.class));
            case "response" -> new Response(ctx.readValue(p, RefResponse.class));
            case "ids" -> new Ids(ctx.readValue(p, IdUpdate.class));
            case "op" -> new Op(ctx.readValue(p, Operation.class));
            case "dead" -> new Dead(ctx.readValue(p, DeadLetter.class));
            case "marker" -> new Marker(ctx.readValue(p, MarkerMsg.class));
            default -> ctx.reportInputMismatch(Msg.class, "unknown kind '%s'", kind);
          };
      if (p.nextToken() != JsonToken.END_OBJECT) {
        return ctx.reportInputMismatch(
            Msg.class, "expected one field naming the kind, found '%s' after it", kind);
      }
      return msg;
    }
  }
}
