package dev.pgconvex.sink.batch;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class PartitionBufferTest {
  static PendingOp op(long offset, int docChars) {
    String doc = "x".repeat(docChars);
    return PendingOp.parse(
        "t",
        0,
        offset,
        "items/[" + offset + "]",
        "{\"table\":\"items\",\"key\":\"["
            + offset
            + "]\",\"op\":\"upsert\",\"position\":\"0000000000000001:00000000\",\"commitTs\":1,"
            + "\"doc\":{\"v\":\""
            + doc
            + "\"}}");
  }

  @Test
  void readyByCountBytesOrLinger() {
    PartitionBuffer b = new PartitionBuffer();
    assertThat(b.ready(3, 1_000_000, 1000, 0)).isFalse();
    b.add(op(0, 1), 0);
    b.add(op(1, 1), 10);
    assertThat(b.ready(3, 1_000_000, 1000, 20)).isFalse();
    assertThat(b.ready(3, 1_000_000, 1000, 1000)).isTrue(); // linger of the oldest
    b.add(op(2, 1), 30);
    assertThat(b.ready(3, 1_000_000, 1000, 40)).isTrue(); // count
    assertThat(b.ready(10, b.bytes(), 1000, 40)).isTrue(); // bytes
  }

  @Test
  void drainKeepsOrderAndLimits() {
    PartitionBuffer b = new PartitionBuffer();
    for (int i = 0; i < 5; i++) {
      b.add(op(i, 100), 0);
    }
    int one = op(0, 100).sizeBytes();
    List<PendingOp> first = b.drain(3, 1_000_000, 0);
    assertThat(first).extracting(PendingOp::offset).containsExactly(0L, 1L, 2L);
    List<PendingOp> second = b.drain(3, one, 0); // bytes limit: one op
    assertThat(second).extracting(PendingOp::offset).containsExactly(3L);
    List<PendingOp> third = b.drain(3, 1, 0); // an op larger than the limit still travels alone
    assertThat(third).extracting(PendingOp::offset).containsExactly(4L);
    assertThat(b.isEmpty()).isTrue();
    assertThat(b.bytes()).isZero();
  }

  @Test
  void unreadableRecordsCarryTheirProblem() {
    PendingOp bad = PendingOp.parse("t", 1, 7, "k", "{not json");
    assertThat(bad.op()).isNull();
    assertThat(bad.problem()).contains("not an operation");
    assertThat(PendingOp.parse("t", 1, 8, "k", null).problem()).contains("null value");
    assertThat(
            PendingOp.parse("t", 1, 9, "k", "{\"table\":\"a\",\"key\":\"[1]\",\"op\":\"upsert\"}")
                .problem())
        .isNotNull();
  }

  @Test
  void rawRecordsAreSizedByTheirUtf8LengthAndParsedLater() {
    String value =
        "{\"table\":\"items\",\"key\":\"[1]\",\"op\":\"upsert\",\"position\":"
            + "\"0000000000000001:00000000\",\"commitTs\":1,\"doc\":{\"v\":\"é€😀\"}}";
    PendingOp raw = PendingOp.raw("t", 0, 5, "items/[1]", value);
    assertThat(raw.isParsed()).isFalse();
    assertThat(raw.sizeBytes())
        .isEqualTo(value.getBytes(java.nio.charset.StandardCharsets.UTF_8).length + 1);
    PendingOp parsed = raw.parsed();
    assertThat(parsed.isParsed()).isTrue();
    assertThat(parsed.op().doc().path("v").asText()).isEqualTo("é€😀");
    assertThat(parsed.offset()).isEqualTo(5);
    assertThat(parsed.parsed()).isSameAs(parsed);
  }
}
