package dev.pgconvex.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.pgconvex.source.config.SourceConfig;
import dev.pgconvex.stack.EmbeddedKafkaBroker;
import dev.pgconvex.stack.testing.TestNames;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The broker is stopped for 30 s while rows keep being written, then started again: the source
 * stays up (the outage is shorter than {@code source.kafka.delivery.timeout.ms}), and every row
 * committed before, during and after the outage reaches Kafka.
 */
@Timeout(150)
class KafkaLongOutageIT {
  private EmbeddedKafkaBroker broker;

  @BeforeEach
  void startBroker() {
    broker =
        new EmbeddedKafkaBroker(
            Path.of(System.getProperty("java.io.tmpdir"), TestNames.unique("kafka-long-outage")));
    broker.start();
  }

  @AfterEach
  void closeBroker() {
    broker.close();
  }

  @Test
  void thirtySecondBrokerOutageDuringLoadLeavesNoGap() throws Exception {
    ItSupport it = new ItSupport("longoutage");
    it.sql("CREATE TABLE public.t (id int PRIMARY KEY)");
    Map<String, String> props = it.props("public.t");
    props.put("kafka.bootstrap.servers", broker.bootstrapServers());
    props.put("source.kafka.delivery.timeout.ms", "90000");

    AtomicInteger nextId = new AtomicInteger();
    AtomicBoolean writing = new AtomicBoolean(true);
    AtomicReference<Throwable> writerFailure = new AtomicReference<>();
    Thread writer =
        new Thread(
            () -> {
              try (Connection c = it.connect();
                  PreparedStatement ps = c.prepareStatement("INSERT INTO public.t VALUES (?)")) {
                while (writing.get()) {
                  ps.setInt(1, nextId.incrementAndGet());
                  ps.executeUpdate();
                  Thread.sleep(5); // paces the load (~150 rows/s); not a wait for a condition
                }
              } catch (Exception e) {
                writerFailure.set(e);
              }
            },
            "long-outage-writer");

    try (CdcSource source =
        new CdcSource(SourceConfig.parse(props, k -> null), new SimpleMeterRegistry())) {
      source.start();
      writer.start();
      await().atMost(Duration.ofSeconds(20)).until(() -> source.currentLsn() > 0);
      broker.stop();
      int atStop = nextId.get();
      // The outage: 30 s during which the source must stay up while rows keep coming.
      await()
          .during(Duration.ofSeconds(30))
          .atMost(Duration.ofSeconds(40))
          .until(() -> source.health().up());
      assertThat(nextId.get()).isGreaterThan(atStop + 100);
      broker.start();
      int atRestart = nextId.get();
      await().atMost(Duration.ofSeconds(20)).until(() -> nextId.get() > atRestart + 100);
      writing.set(false);
      writer.join(10_000);
      assertThat(writerFailure.get()).isNull();
      Set<Integer> committed = new TreeSet<>();
      try (Connection c = it.connect();
          Statement st = c.createStatement();
          ResultSet rs = st.executeQuery("SELECT id FROM public.t")) {
        while (rs.next()) {
          committed.add(rs.getInt(1));
        }
      }
      assertThat(seenIds(it.prefix + ".public.t", committed)).containsAll(committed);
      assertThat(source.health().up()).isTrue();
      System.out.printf(
          "KafkaLongOutageIT: %d rows (%d written during the outage) all in Kafka%n",
          committed.size(), atRestart - atStop);
    } finally {
      writing.set(false);
    }
  }

  private Set<Integer> seenIds(String topic, Set<Integer> wanted) {
    return ItSupport.awaitIds(broker.bootstrapServers(), topic, ids -> ids.containsAll(wanted));
  }
}
