package dev.pgconvex.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pgconvex.common.json.Json;
import dev.pgconvex.source.engine.FilteredEvents;
import dev.pgconvex.source.preflight.PublicationState;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Changes the source used to lose without a word now reach Kafka or a metric (skip-points.md). */
@Timeout(120)
class SkipPointsIT {

  @Test
  void aTruncateReachesTheTablesTopicAndIsCounted() throws Exception {
    ItSupport it = new ItSupport("truncate");
    it.sql(
        "CREATE TABLE public.items (id int PRIMARY KEY, name text)",
        "INSERT INTO public.items VALUES (1,'a'),(2,'b')");
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    String topic = it.prefix + ".public.items";

    try (CdcSource source = new CdcSource(it.config("public.items"), registry);
        KafkaConsumer<String, String> consumer = ItSupport.consumer(topic)) {
      source.start();
      await().atMost(Duration.ofSeconds(30)).until(source::snapshotFinished);

      it.sql("TRUNCATE public.items", "INSERT INTO public.items VALUES (3,'c')");

      List<ConsumerRecord<String, String>> got = ItSupport.newList();
      await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () -> {
                ItSupport.pollInto(consumer, got);
                return got.stream().anyMatch(r -> "{\"id\":3}".equals(r.key()));
              });
      // The truncate reaches the table's topic (keyless, so on any partition: order across
      // partitions is not kept) and the transformer's dead-letter path (ChangeConverter,
      // "truncate ... run a resync") gets exactly this record.
      List<String> ops =
          got.stream().map(r -> Json.parse(r.value()).get("op").asText() + " " + r.key()).toList();
      assertThat(ops)
          .containsExactlyInAnyOrder("r {\"id\":1}", "r {\"id\":2}", "t null", "c {\"id\":3}");
      JsonNode truncate =
          got.stream()
              .map(r -> Json.parse(r.value()))
              .filter(v -> v.get("op").asText().equals("t"))
              .findFirst()
              .orElseThrow();
      assertThat(truncate.get("after").isNull()).isTrue();
      assertThat(truncate.get("source").get("table").asText()).isEqualTo("items");
      assertThat(
              registry
                  .get("pgconvex.source.events")
                  .tag("table", "public.items")
                  .tag("op", "truncate")
                  .counter()
                  .count())
          .isEqualTo(1);
    }
  }

  @Test
  void aPublicationThatDoesNotPublishTruncatesIsNamedWithItsFix() throws Exception {
    ItSupport it = new ItSupport("pubops");
    it.sql(
        "CREATE TABLE public.t (id int PRIMARY KEY)",
        "CREATE PUBLICATION \""
            + it.publication
            + "\" FOR TABLE public.t WITH (publish = 'insert, update, delete')");
    try (Connection c = it.connect()) {
      assertThat(PublicationState.unpublishedOperations(c, it.publication))
          .containsExactly("truncate");
      assertThat(PublicationState.unpublishedOperations(c, "no_such_pub")).isEmpty();
      c.createStatement().execute(PublicationState.publishAllStatement(it.publication));
      assertThat(PublicationState.unpublishedOperations(c, it.publication)).isEmpty();
    }
  }

  @Test
  void changesOfATableAddedToThePublicationButNotCapturedAreCountedAsFiltered() throws Exception {
    ItSupport it = new ItSupport("filtered");
    it.sql(
        "CREATE TABLE public.kept (id int PRIMARY KEY)",
        "CREATE TABLE public.extra (id int PRIMARY KEY)");
    SimpleMeterRegistry registry = new SimpleMeterRegistry();

    try (CdcSource source = new CdcSource(it.config("public.kept"), registry)) {
      source.start();
      await().atMost(Duration.ofSeconds(30)).until(source::snapshotFinished);
      assertThat(registry.get("pgconvex.source.events.filtered").functionCounter().count())
          .isZero();
      // Streaming has begun once a change made now is captured: Debezium has set up the
      // publication by then (it resets a filtered publication's tables when streaming starts, which
      // would undo the ALTER below if it came first).
      long before = source.changesCaptured();
      it.sql("INSERT INTO public.kept VALUES (0)");
      await().atMost(Duration.ofSeconds(30)).until(() -> source.changesCaptured() > before);

      // Someone adds a table to the publication while the source runs: Debezium receives its
      // changes and drops them, as the table is not in its include list.
      it.sql(
          "ALTER PUBLICATION \"" + it.publication + "\" ADD TABLE public.extra",
          "INSERT INTO public.extra VALUES (1), (2)",
          "INSERT INTO public.kept VALUES (1)");

      await()
          .atMost(Duration.ofSeconds(30))
          .untilAsserted(
              () ->
                  assertThat(
                          registry.get("pgconvex.source.events.filtered").functionCounter().count())
                      .isEqualTo(2));
      try (Connection c = it.connect()) {
        assertThat(
                new FilteredEvents(source.settings(), new SimpleMeterRegistry())
                    .uncapturedPublicationTables(c))
            .containsExactly("public.extra");
      }
      assertThat(registry.get("pgconvex.source.events.erroneous").functionCounter().count())
          .isZero();
      assertThat(source.health().up()).isTrue();
    }
  }
}
