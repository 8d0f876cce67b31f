package dev.pgconvex.transformer;

import static dev.pgconvex.transformer.Fixture.envelope;
import static dev.pgconvex.transformer.Fixture.row;
import static org.assertj.core.api.Assertions.assertThat;

import dev.pgconvex.common.mapping.ColumnMapping;
import dev.pgconvex.common.mapping.FieldType;
import dev.pgconvex.common.mapping.Mapping;
import dev.pgconvex.common.mapping.TableMapping;
import dev.pgconvex.common.mapping.Widening;
import dev.pgconvex.common.model.Operation;
import dev.pgconvex.transformer.Fixture.Driver;
import java.time.Duration;
import java.util.ArrayList;
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

  // The mapping ./cdc schema evolve widens users to after the rename: full_name added (optional),
  // name retired (its field stays optional, an event from before the DDL still writes it).
  private static Mapping widenedUsers() {
    Mapping m = Fixture.mapping();
    List<TableMapping> tables = new ArrayList<>();
    for (TableMapping t : m.tables()) {
      if (!t.table().equals("users")) {
        tables.add(t);
        continue;
      }
      ColumnMapping name = t.columns().get(1);
      tables.add(
          t.withColumns(
              List.of(
                  t.columns().get(0),
                  ColumnMapping.of("full_name", "fullName", "text", FieldType.STRING, true)),
              new Widening("m1", List.of("full_name"), List.of(name))));
    }
    return new Mapping(tables);
  }

  @Test
  void aWidenedMappingLetsTheHeldChangesGoInOrderAndTakesEventsOfBothShapes() {
    try (Driver d =
        new Driver(
            Fixture.mapping(), true, TransformerTopology.DEFAULT_ORPHAN_REPORT_AFTER_MS, 1)) {
      d.create("users", row("id", 1, "name", "ann"), 100);
      d.send("users", "{\"id\":1}", renamed(1, "Ann Lee", 200));
      d.send("users", "{\"id\":2}", renamed(2, "Bob Ray", 210));
      assertThat(d.ops()).extracting(o -> o.ref().toString()).containsExactly("users/[1]");

      assertThat(d.live.offer(widenedUsers())).isEmpty();
      d.driver.advanceWallClockTime(Duration.ofSeconds(3));
      // an event written before the DDL, read late: the old column still lands, in its old field
      d.send("users", "{\"id\":3}", envelope("c", null, row("id", 3, "name", "cy"), 220, 1));

      List<Operation> ops = d.ops();
      assertThat(ops)
          .extracting(o -> o.ref().toString() + " " + o.doc())
          .containsExactly(
              "users/[1] {\"id\":1,\"fullName\":\"Ann Lee\"}",
              "users/[2] {\"id\":2,\"fullName\":\"Bob Ray\"}",
              "users/[3] {\"id\":3,\"name\":\"cy\"}");
      assertThat(d.counts.heldTables()).isEmpty();
      assertThat(d.deadLetters()).isEmpty();
      assertThat(d.registry.scrape())
          .contains("pgconvex_transformer_held_changes{table=\"public.users\"} 0.0");
    }
  }

  @Test
  void aMappingThatChangesMoreThanColumnsIsRefusedWhileRunning() {
    try (Driver d = new Driver(Fixture.mapping(), true)) {
      Mapping fewer = new Mapping(Fixture.mapping().tables().subList(1, 5));
      assertThat(d.live.offer(fewer)).containsExactly("table public.users was removed");
      assertThat(d.live.version()).isZero();
    }
  }
}
