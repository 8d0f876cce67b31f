package dev.pgconvex.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.pgconvex.stack.EmbeddedKafkaBroker;
import dev.pgconvex.stack.testing.TestNames;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Kafka goes away while the source runs: its own broker, stopped and started again. */
@Timeout(120)
class KafkaOutageIT {
  private EmbeddedKafkaBroker broker;

  @BeforeEach
  void startBroker() {
    broker =
        new EmbeddedKafkaBroker(
            Path.of(System.getProperty("java.io.tmpdir"), TestNames.unique("kafka-outage")));
    broker.start();
  }

  @AfterEach
  void closeBroker() {
    broker.close();
  }

  private Map<String, String> props(ItSupport it, String deliveryTimeoutMs) {
    Map<String, String> m = it.props("public.t");
    m.put("kafka.bootstrap.servers", broker.bootstrapServers());
    m.put("source.kafka.delivery.timeout.ms", deliveryTimeoutMs);
    return m;
  }

  @Test
  void shortOutageIsRiddenOutAndLongOutageFailsWithoutGap() throws Exception {
    ItSupport it = new ItSupport("outage");
    it.sql("CREATE TABLE public.t (id int PRIMARY KEY)");

    // 1. Shorter than the delivery timeout: the source blocks, stays up, and catches up.
    try (CdcSource source =
        new CdcSource(
            dev.pgconvex.source.config.SourceConfig.parse(props(it, "60000"), k -> null),
            new SimpleMeterRegistry())) {
      source.start();
      it.sql("INSERT INTO public.t SELECT g FROM generate_series(1, 100) g");
      await().atMost(Duration.ofSeconds(20)).until(() -> source.currentLsn() > 0);
      broker.stop();
      it.sql("INSERT INTO public.t SELECT g FROM generate_series(101, 200) g");
      broker.start();
      assertThat(source.health().up()).isTrue();
      awaitIds(it.prefix + ".public.t", 200);
      assertThat(source.health().up()).isTrue();
    }
    it.awaitSlotInactive();

    // 2. Longer than the delivery timeout: the source fails and says why; a restart resends.
    CdcSource failing =
        new CdcSource(
            dev.pgconvex.source.config.SourceConfig.parse(props(it, "2000"), k -> null),
            new SimpleMeterRegistry());
    try {
      failing.start();
      broker.stop();
      it.sql("INSERT INTO public.t SELECT g FROM generate_series(201, 300) g");
      await().atMost(Duration.ofSeconds(30)).until(() -> failing.terminated().isDone());
      assertThat(failing.terminated()).isCompletedExceptionally();
      assertThat(failing.health().up()).isFalse();
      assertThat(failing.health().detail()).startsWith("Kafka delivery failed");
    } finally {
      // With Kafka back, the engine's shutdown (which stores offsets) ends quickly.
      broker.start();
      failing.close();
    }
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                "f"
                    .equals(
                        it.query(
                            "SELECT active FROM pg_replication_slots WHERE slot_name = '"
                                + it.slot
                                + "'")));
    try (CdcSource again =
        new CdcSource(
            dev.pgconvex.source.config.SourceConfig.parse(props(it, "60000"), k -> null),
            new SimpleMeterRegistry())) {
      again.start();
      awaitIds(it.prefix + ".public.t", 300);
    }
  }

  private void awaitIds(String topic, int upTo) {
    java.util.Set<Integer> seen =
        ItSupport.awaitIds(broker.bootstrapServers(), topic, ids -> ids.size() >= upTo);
    for (int i = 1; i <= upTo; i++) {
      assertThat(seen).contains(i);
    }
  }
}
