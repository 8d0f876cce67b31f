package dev.pgconvex.transformer.convert;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgconvex.transformer.internals.PendingCounts;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The held changes of a table in schema drift: kept in order, across restarts, released once. */
class HeldChangesTest {
  private static final String T = "public.users";
  private final PendingCounts counts = new PendingCounts();
  private KeyValueStore<String, String> store;

  @BeforeEach
  void setUp() {
    MockProcessorContext<String, String> ctx = new MockProcessorContext<>();
    store =
        Stores.keyValueStoreBuilder(
                Stores.inMemoryKeyValueStore("held"), Serdes.String(), Serdes.String())
            .withLoggingDisabled()
            .build();
    store.init(ctx.getStateStoreContext(), store);
  }

  private static SchemaDriftException drift() {
    return new SchemaDriftException(T, List.of("name"), List.of("full_name"), Map.of());
  }

  private static Record<String, String> change(int i) {
    return new Record<>(
        "{\"id\":" + i + "}", "{\"op\":\"u\",\"source\":{\"lsn\":" + (100 + i) + "}}", 1000L + i);
  }

  private HeldChanges held(long max) {
    return new HeldChanges(store, "0_0", counts, max);
  }

  @Test
  void changesAreHeldInOrderAndSurviveARestart() {
    HeldChanges h = held(100);
    assertThat(h.isHeld(T)).isFalse();
    assertThat(h.append(T, change(1), "t.public.users", 0, 10, drift())).isTrue();
    for (int i = 2; i <= 4; i++) {
      assertThat(h.append(T, change(i), "t.public.users", 0, 9 + i, null)).isTrue();
    }
    assertThat(h.isHeld(T)).isTrue();
    assertThat(counts.heldTables())
        .singleElement()
        .satisfies(
            t -> {
              assertThat(t.changes()).isEqualTo(4);
              assertThat(t.sincePosition()).isEqualTo("0000000000000065:00000000");
              assertThat(t.reason()).contains("`name` gone and `full_name` added: renamed?");
            });

    // A new task over the same store (a restart): the same table, the same changes.
    h.close();
    assertThat(counts.heldTables()).isEmpty();
    HeldChanges again = held(100);
    assertThat(again.isHeld(T)).isTrue();
    assertThat(counts.heldTables())
        .singleElement()
        .satisfies(t -> assertThat(t.changes()).isEqualTo(4));

    // Still the old mapping: the oldest does not match, nothing goes.
    List<Long> seen = new ArrayList<>();
    again.release(
        (table, r) -> {
          seen.add(r.offset());
          return drift();
        });
    assertThat(seen).containsExactly(10L);
    assertThat(again.isHeld(T)).isTrue();

    // A matching mapping: every change goes, in order, with where it came from, then the table
    // is free.
    seen.clear();
    List<String> keys = new ArrayList<>();
    again.release(
        (table, r) -> {
          seen.add(r.offset());
          keys.add(r.record().key());
          assertThat(r.topic()).isEqualTo("t.public.users");
          return null;
        });
    assertThat(seen).containsExactly(10L, 11L, 12L, 13L);
    assertThat(keys).containsExactly("{\"id\":1}", "{\"id\":2}", "{\"id\":3}", "{\"id\":4}");
    assertThat(again.isHeld(T)).isFalse();
    assertThat(counts.heldTables()).isEmpty();
    assertThat(held(100).isHeld(T)).isFalse();
  }

  @Test
  void aReleaseStopsAtTheFirstChangeThatStillDriftsAndKeepsTheRestInOrder() {
    HeldChanges h = held(100);
    h.append(T, change(1), "t", 0, 1, drift());
    h.append(T, change(2), "t", 0, 2, null);
    h.append(T, change(3), "t", 0, 3, null);
    SchemaDriftException later = new SchemaDriftException(T, List.of("email"), List.of(), Map.of());
    h.release((table, r) -> r.offset() < 2 ? null : later);
    assertThat(counts.heldTables())
        .singleElement()
        .satisfies(
            t -> {
              assertThat(t.changes()).isEqualTo(2);
              assertThat(t.reason()).contains("`email` gone");
            });
    List<Long> rest = new ArrayList<>();
    h.release(
        (table, r) -> {
          rest.add(r.offset());
          return null;
        });
    assertThat(rest).containsExactly(2L, 3L);
  }

  @Test
  void pastTheBoundNothingMoreIsHeld() {
    HeldChanges h = held(2);
    assertThat(h.append(T, change(1), "t", 0, 1, drift())).isTrue();
    assertThat(h.append(T, change(2), "t", 0, 2, null)).isTrue();
    assertThat(h.append(T, change(3), "t", 0, 3, null)).isFalse();
    assertThat(counts.heldTables())
        .singleElement()
        .satisfies(t -> assertThat(t.changes()).isEqualTo(2));
  }
}
