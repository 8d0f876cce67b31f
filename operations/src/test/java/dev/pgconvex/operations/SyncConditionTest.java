package dev.pgconvex.operations;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgconvex.common.status.SinkStatus;
import dev.pgconvex.common.status.SourceStatus;
import dev.pgconvex.common.status.StageState;
import dev.pgconvex.common.status.StageStatus;
import dev.pgconvex.common.status.TransformerStatus;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SyncConditionTest {
  private static final long START = 0x1A2B3C4DL;

  private static SourceStatus source(StageState s, long acked, long slotConfirmed) {
    return new SourceStatus(
        s, "streaming", null, acked, slotConfirmed, 0, "reserved", true, 0, 10, true, 0);
  }

  private static TransformerStatus transformer(StageState s, long pendingRows) {
    return new TransformerStatus(
        s, "kafka streams " + s, null, "RUNNING", pendingRows, pendingRows == 0 ? null : 5_000L, 0);
  }

  private static SinkStatus sink(StageState s) {
    return new SinkStatus(s, "4 partitions", null, 4, 1, 100L, "cp", 8, 0, 0, 0, 0);
  }

  private static Map<String, StageStatus> chain(StageStatus... stages) {
    Map<String, StageStatus> m = new HashMap<>();
    for (StageStatus s : stages) {
      m.put(s.stage(), s);
    }
    return m;
  }

  private static Map<String, StageStatus> caughtUp() {
    return chain(
        source(StageState.RUNNING, START, START),
        transformer(StageState.RUNNING, 0),
        sink(StageState.RUNNING));
  }

  @Test
  void nullWhenCaughtUp() {
    assertThat(SyncCondition.notCaughtUp(caughtUp(), true, START)).isNull();
    // Past the position counts too.
    assertThat(
            SyncCondition.notCaughtUp(
                chain(
                    source(StageState.RUNNING, START + 100, START + 50),
                    transformer(StageState.RUNNING, 0),
                    sink(StageState.RUNNING)),
                true,
                START))
        .isNull();
  }

  @Test
  void aStageThatIsNotRunning() {
    Map<String, StageStatus> m = caughtUp();
    m.put("transformer", transformer(StageState.STARTING, 0));
    assertThat(SyncCondition.notCaughtUp(m, true, START))
        .isEqualTo("transformer is starting: kafka streams STARTING");

    m = caughtUp();
    m.put("sink", sink(StageState.FAILED));
    assertThat(SyncCondition.notCaughtUp(m, true, START)).isEqualTo("sink is failed: 4 partitions");

    m = caughtUp();
    m.put("source", source(StageState.STOPPED, START, START));
    assertThat(SyncCondition.notCaughtUp(m, true, START)).isEqualTo("source is stopped: streaming");
  }

  @Test
  void theFirstStageThatIsNotRunningIsNamed() {
    Map<String, StageStatus> m =
        chain(
            source(StageState.STARTING, 0, 0),
            transformer(StageState.FAILED, 3),
            sink(StageState.STOPPED));
    assertThat(SyncCondition.notCaughtUp(m, false, START)).startsWith("source is starting");
  }

  @Test
  void theSourceBehindTheStartPosition() {
    Map<String, StageStatus> m = caughtUp();
    m.put("source", source(StageState.RUNNING, START - 1, START - 1));
    assertThat(SyncCondition.notCaughtUp(m, true, START))
        .isEqualTo("the source has not yet passed WAL position 1a2b3c4d");

    m.put("source", source(StageState.RUNNING, 0, 0));
    assertThat(SyncCondition.notCaughtUp(m, true, START)).contains("1a2b3c4d");
  }

  @Test
  void eitherTheAckedOrTheSlotPositionPastTheStartIsEnough() {
    Map<String, StageStatus> m = caughtUp();
    // Everything is in Kafka, the slot's confirmation lags behind.
    m.put("source", source(StageState.RUNNING, START, START - 1));
    assertThat(SyncCondition.notCaughtUp(m, true, START)).isNull();
    // The slot is confirmed past it (e.g. an idle database after a restart), nothing acked yet.
    m.put("source", source(StageState.RUNNING, 0, START));
    assertThat(SyncCondition.notCaughtUp(m, true, START)).isNull();
  }

  @Test
  void rowsHeldForAParent() {
    Map<String, StageStatus> m = caughtUp();
    m.put("transformer", transformer(StageState.RUNNING, 3));
    assertThat(SyncCondition.notCaughtUp(m, true, START)).isEqualTo("3 rows wait for a parent");
  }

  @Test
  void kafkaNotDrained() {
    assertThat(SyncCondition.notCaughtUp(caughtUp(), false, START))
        .isEqualTo("Kafka holds records the transformer or the sink has not consumed");
  }

  @Test
  void aStageAbsentFromTheMapIsNotHeldAgainstIt() {
    // Only the sink runs here; the source and transformer run elsewhere.
    assertThat(SyncCondition.notCaughtUp(chain(sink(StageState.RUNNING)), true, START)).isNull();
    // No source here: its position cannot be checked, and is not.
    assertThat(
            SyncCondition.notCaughtUp(
                chain(transformer(StageState.RUNNING, 0), sink(StageState.RUNNING)), true, START))
        .isNull();
    // Nothing here at all: the consumer lag alone decides.
    assertThat(SyncCondition.notCaughtUp(Map.of(), true, START)).isNull();
    assertThat(SyncCondition.notCaughtUp(Map.of(), false, START)).startsWith("Kafka holds");
  }
}
