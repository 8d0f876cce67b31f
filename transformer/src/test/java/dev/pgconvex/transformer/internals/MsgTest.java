package dev.pgconvex.transformer.internals;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pgconvex.common.json.Json;
import dev.pgconvex.common.model.DeadLetter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class MsgTest {
  private final InternalSerde<Msg> serde = new InternalSerde<>(Msg.class);

  @Test
  void eachKindIsOneFieldNamedByItAndReadsBack() {
    List<Msg> all =
        List.of(
            Msg.of(new RefRequest("users/[1]", "threads/[7]", "userId", "p", false)),
            Msg.of(new RefResponse("threads/[7]", "userId", "users/[1]", "k57", "p")),
            Msg.of(new IdUpdate("k57")),
            Msg.of(new IdUpdate(null)),
            Msg.of(new DeadLetter("transformer", "bad", "t", 0, 1, "k", "v", 2)));
    for (Msg m : all) {
      byte[] bytes = serde.serializer().serialize("t", m);
      assertThat(InternalSerde.isSmile(bytes)).isTrue();
      assertThat(serde.deserializer().deserialize("t", bytes)).isEqualTo(m);
      // what a version that wrote JSON text left in a topic still reads
      assertThat(serde.deserializer().deserialize("t", Json.writeBytes(m))).isEqualTo(m);
    }
    assertThat(text(Msg.of(new IdUpdate("k57")))).isEqualTo("{\"ids\":{\"id\":\"k57\"}}");
    assertThat(text(all.get(0))).startsWith("{\"request\":{\"parentRef\":\"users/[1]\"");
  }

  @Test
  void aRecordOfTheUnionFormStillReads() {
    // as the six-field record wrote it (nulls left out): repartition topics may hold such records
    Msg m =
        serde
            .deserializer()
            .deserialize("t", "{\"ids\":{\"id\":\"k1\"}}".getBytes(StandardCharsets.UTF_8));
    assertThat(m).isEqualTo(new Msg.Ids(new IdUpdate("k1")));
  }

  @Test
  void anythingButOneKnownKindIsRefused() {
    for (String bad : List.of("{}", "{\"ids\":{},\"op\":{}}", "{\"nope\":{}}")) {
      assertThatThrownBy(
              () -> serde.deserializer().deserialize("t", bad.getBytes(StandardCharsets.UTF_8)))
          .as(bad)
          .isInstanceOf(java.io.UncheckedIOException.class);
    }
  }

  private String text(Msg m) {
    return Json.write(m);
  }
}
