package dev.pgconvex.replay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

class ReplayTargetTest {
  @Test
  void exactlyOneTargetIsTaken() {
    assertThat(ReplayTarget.of(null, null, List.of(), true))
        .isSameAs(ReplayTarget.ToEarliest.INSTANCE);
    assertThatThrownBy(() -> ReplayTarget.of(null, null, List.of(), false))
        .hasMessageStartingWith("no target given");
    assertThatThrownBy(() -> ReplayTarget.of("2026-01-01T00:00:00Z", "PT1H", List.of(), false))
        .hasMessageStartingWith("more than one target given");
  }

  @Test
  void datetimesWithAndWithoutAnOffset() {
    assertThat(ReplayTarget.parseDatetime("2026-12-01T14:00:00Z"))
        .isEqualTo(Instant.parse("2026-12-01T14:00:00Z"));
    assertThat(ReplayTarget.parseDatetime("2026-12-01T15:00:00.250+01:00"))
        .isEqualTo(Instant.parse("2026-12-01T14:00:00.250Z"));
    assertThat(ReplayTarget.parseDatetime("2026-12-01T14:00:00"))
        .as("no offset: UTC")
        .isEqualTo(Instant.parse("2026-12-01T14:00:00Z"));
    assertThatThrownBy(() -> ReplayTarget.parseDatetime("yesterday"))
        .isInstanceOf(ReplayException.class)
        .hasMessageContaining("not an ISO-8601 date-time");
  }

  @Test
  void durationsInKafkasFormat() {
    assertThat(ReplayTarget.parseDuration("PT1H")).isEqualTo(Duration.ofHours(1));
    assertThat(ReplayTarget.parseDuration("P1DT12H30M")).isEqualTo(Duration.ofMinutes(2190));
    assertThatThrownBy(() -> ReplayTarget.parseDuration("1h")).hasMessageContaining("PnDTnHnM");
    assertThatThrownBy(() -> ReplayTarget.parseDuration("PT-1H")).hasMessageContaining("positive");
    ReplayTarget.ByDuration b = new ReplayTarget.ByDuration(Duration.ofMinutes(30));
    assertThat(b.at(Instant.parse("2026-12-01T14:00:00Z")))
        .isEqualTo(Instant.parse("2026-12-01T13:30:00Z"));
  }

  @Test
  void offsetsAreTopicPartitionOffset() {
    assertThat(ReplayTarget.parseOffset("pgconvex.ops:3:1200"))
        .isEqualTo(Map.entry(new TopicPartition("pgconvex.ops", 3), 1200L));
    assertThat(ReplayTarget.parseOffset(" a-b_c.d:0:0 "))
        .isEqualTo(Map.entry(new TopicPartition("a-b_c.d", 0), 0L));
    for (String bad :
        List.of(
            "ops",
            "ops:1",
            "ops:x:1",
            "ops:1:y",
            ":1:2",
            "ops:-1:2",
            "ops:1:-2",
            "a:b:1:2",
            "ops:1:")) {
      assertThatThrownBy(() -> ReplayTarget.parseOffset(bad))
          .as(bad)
          .isInstanceOf(ReplayException.class)
          .hasMessageContaining("TOPIC:PARTITION:OFFSET");
    }
    assertThatThrownBy(() -> ReplayTarget.of(null, null, List.of("t:0:1", "t:0:2"), false))
        .hasMessageContaining("twice");
  }
}
