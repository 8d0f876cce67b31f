package dev.pgconvex.transformer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgconvex.common.config.Topics;
import dev.pgconvex.transformer.TopicCheck.Mismatch;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TopicCheckTest {
  private static final Topics TOPICS = new Topics("p");

  private static List<Mismatch> find(String... existing) {
    return TopicCheck.find(Set.of(existing), Fixture.mapping(), TOPICS);
  }

  private static Set<String> mapped() {
    return Set.of(
        "p.public.users",
        "p.public.posts",
        "p.public.orders",
        "p.public.shipments",
        "p.public.categories");
  }

  @Test
  void aTableTopicTheMappingDoesNotKnowIsNamedWithTheFix() {
    Set<String> existing = new java.util.HashSet<>(mapped());
    existing.addAll(
        Set.of(
            "p.public.audit_log",
            "p.ops",
            "p.ids",
            "p.dlq",
            "p.offsets",
            "p.transaction",
            "p.message",
            "p.schema-history",
            "p-transformer-rows-repartition",
            "other.public.users",
            "__debezium-heartbeat.p"));
    List<Mismatch> found = find(existing.toArray(String[]::new));
    assertThat(found)
        .singleElement()
        .satisfies(
            m -> {
              assertThat(m.kind()).isEqualTo(TopicCheck.UNMAPPED);
              assertThat(m.table()).isEqualTo("public.audit_log");
              assertThat(m.topic()).isEqualTo("p.public.audit_log");
              assertThat(m.message())
                  .contains("public.audit_log", "never reads it", "add it to the mapping")
                  .contains("remove it from source.tables");
            });
  }

  @Test
  void aMappedTableWithoutATopicIsUncapturedOnceTheSourceHasRun() {
    List<Mismatch> found =
        find("p.offsets", "p.public.users", "p.public.posts", "p.public.orders", "p.ops");
    assertThat(found)
        .extracting(Mismatch::kind, Mismatch::table)
        .containsExactlyInAnyOrder(
            org.assertj.core.groups.Tuple.tuple(TopicCheck.UNCAPTURED, "public.shipments"),
            org.assertj.core.groups.Tuple.tuple(TopicCheck.UNCAPTURED, "public.categories"));
    assertThat(found.get(0).message()).contains("source.tables", "./cdc resync");
  }

  @Test
  void beforeTheSourceEverRanMissingTopicsAreNotBlamedOnIt() {
    // A fresh install where the transformer starts first: no offsets, no table topic yet.
    assertThat(find("p.ops", "p.ids", "p.dlq")).isEmpty();
    assertThat(find(mapped().toArray(String[]::new))).isEmpty();
  }
}
