package dev.pgconvex.transformer.internals;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pgconvex.common.json.Json;
import dev.pgconvex.common.model.Operation;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class InternalSerdeTest {
  private final InternalSerde<RowState> states = new InternalSerde<>(RowState.class);
  private final InternalSerde<Msg> msgs = new InternalSerde<>(Msg.class);

  /** A document with every kind of value the converter produces. */
  private static ObjectNode doc() {
    ObjectNode d = Json.NODES.objectNode();
    d.put("title", "héllo \u0000 wörld");
    d.put("small", 7);
    d.put("big", Long.MAX_VALUE);
    d.put("ratio", 0.1);
    d.put("negZero", -0.0);
    d.put("flag", true);
    d.putNull("gone");
    d.putObject("n").put("$integer", "AQAAAAAAAAA=");
    d.putArray("tags").add("a").add(2).addObject().put("deep", "x");
    return d;
  }

  @Test
  void aRowStateReadsBackAsTheSameJson() {
    RowState s =
        new RowState(
            "0000000000000001/00000002",
            1_700_000_000_000L,
            42L,
            doc(),
            List.of(
                new RowState.Rel("userId", "users/[1]", false, "k57", false),
                new RowState.Rel("editorId", null, true, null, true)),
            true,
            false,
            123L,
            true);
    byte[] bytes = states.serializer().serialize("rows", s);
    assertThat(InternalSerde.isSmile(bytes)).isTrue();
    RowState back = states.deserializer().deserialize("rows", bytes);
    // the document is compared as the JSON the ops topic gets, which is what matters downstream
    assertThat(Json.write(back)).isEqualTo(Json.write(s));
    assertThat(back.relations()).isEqualTo(s.relations());
  }

  @Test
  void aRowStateStoredAsJsonTextByAnEarlierVersionStillReads() {
    String old =
        "{\"position\":\"p1\",\"commitTs\":5,\"doc\":{\"a\":1},"
            + "\"relations\":[{\"field\":\"f\",\"parentRef\":\"t/[1]\",\"optional\":false,"
            + "\"waiting\":false}],\"emitted\":false,\"partial\":false}";
    RowState s = states.deserializer().deserialize("rows", old.getBytes(StandardCharsets.UTF_8));
    assertThat(s.position()).isEqualTo("p1");
    assertThat(s.doc().get("a").asInt()).isEqualTo(1);
    assertThat(s.waitsForParent()).isTrue();
    assertThat(s.heldSinceMs()).isNull();
  }

  @Test
  void rowsAndOpsWithDocumentsReadBack() {
    var row =
        Msg.of(
            new RowChange(
                "threads/[7]",
                Operation.Kind.UPSERT,
                "p",
                1L,
                null,
                doc(),
                List.of(new RowChange.RefChange("userId", "users/[1]", false))));
    var op = Msg.of(new Operation("threads", "[7]", Operation.Kind.PATCH, "p", 1L, 9L, doc()));
    for (Msg m : List.of(row, op)) {
      Msg back = msgs.deserializer().deserialize("t", msgs.serializer().serialize("t", m));
      assertThat(Json.write(back)).isEqualTo(Json.write(m));
    }
  }

  @Test
  void nullIsNullAndGarbageIsRefusedNamingTheType() {
    assertThat(states.serializer().serialize("rows", null)).isNull();
    assertThat(states.deserializer().deserialize("rows", null)).isNull();
    byte[] truncated =
        states
            .serializer()
            .serialize("rows", new RowState("p", 1, null, doc(), List.of(), false, false));
    byte[] cut = java.util.Arrays.copyOf(truncated, truncated.length / 2);
    assertThatThrownBy(() -> states.deserializer().deserialize("rows", cut))
        .isInstanceOf(UncheckedIOException.class)
        .hasMessageContaining("RowState");
  }
}
