package dev.pgconvex.transformer;

import static dev.pgconvex.transformer.Fixture.envelope;
import static dev.pgconvex.transformer.Fixture.row;
import static org.assertj.core.api.Assertions.assertThat;

import dev.pgconvex.common.model.Operation;
import dev.pgconvex.transformer.Fixture.Driver;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Schema drift in the topology: a table whose events no longer match the mapping is held in order
 * (no dead letter per row), the others flow, and a marker does not pass what is held.
 */
@Timeout(60)
class SchemaDriftTest {
  // RENAME COLUMN name TO full_name, as Debezium then writes users' events.
  private static String renamed(int id, String fullName, long lsn) {
    return envelope("u", null, row("id", id, "full_name", fullName), lsn, 1);
  }

  @Test
  void aRenamedColumnHoldsTheTableInOrderWhileTheOthersFlow() {
    try (Driver d =
        new Driver(
            Fixture.mapping(), true, TransformerTopology.DEFAULT_ORPHAN_REPORT_AFTER_MS, 1)) {
      d.create("users", row("id", 1, "name", "ann"), 100);
      d.send("users", "{\"id\":1}", renamed(1, "Ann Lee", 200));
      d.send("users", "{\"id\":2}", renamed(2, "Bob Ray", 210));
      d.create("orders", row("region", "eu", "num", 7), 220);
      // A marker copied into every table topic: the users copy waits behind the held changes.
      for (String t : List.of("users", "posts", "orders", "shipments", "categories")) {
        d.send(
            t,
            "{\"_marker\":\"m1\"}",
            "{\"op\":\"m\",\"marker\":{\"pipeline\":\"t\",\"id\":\"m1\",\"lsn\":230,\"commitTs\":1,"
                + "\"sourceAt\":2}}");
      }

      List<Operation> ops = d.ops();
      assertThat(ops)
          .extracting(o -> o.ref().toString())
          .containsExactly("users/[1]", "orders/[\"eu\",7]");
      assertThat(d.deadLetters()).isEmpty();
      assertThat(d.counts.deadLetters()).isZero();
      assertThat(d.counts.heldTables())
          .singleElement()
          .satisfies(
              t -> {
                assertThat(t.table()).isEqualTo("public.users");
                assertThat(t.changes()).isEqualTo(3); // two changes and the marker's copy
                assertThat(t.reason())
                    .startsWith("public.users: `name` gone and `full_name` added: renamed?");
                assertThat(t.sincePosition()).isEqualTo("00000000000000C8:00000000");
              });
      assertThat(d.registry.scrape())
          .contains("pgconvex_transformer_held_changes{table=\"public.users\"} 3.0");
    }
  }

  @Test
  void pastTheBoundChangesAreDeadLetteredWithTheFix() {
    try (Driver d =
        new Driver(
            Fixture.mapping(), true, TransformerTopology.DEFAULT_ORPHAN_REPORT_AFTER_MS, 1, 1)) {
      d.send("users", "{\"id\":1}", renamed(1, "Ann Lee", 200));
      d.send("users", "{\"id\":2}", renamed(2, "Bob Ray", 210));

      assertThat(d.ops()).isEmpty();
      assertThat(d.deadLetters())
          .singleElement()
          .satisfies(
              dl ->
                  assertThat(dl.reason())
                      .contains("transformer.schema.drift.max.held.changes")
                      .contains("replay"));
      assertThat(d.counts.deadLetters("users", "held_overflow")).isEqualTo(1);
    }
  }
}
