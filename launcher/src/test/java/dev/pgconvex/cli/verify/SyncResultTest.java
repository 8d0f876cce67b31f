package dev.pgconvex.cli.verify;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgconvex.verify.MirrorVerifier;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SyncResultTest {
  @Test
  void syncedWithDifferingCountsBecomesNotSyncedNamingEachTable() {
    Map<String, MirrorVerifier.TableReport> tables = new LinkedHashMap<>();
    tables.put("customer", new MirrorVerifier.TableReport(599, 599));
    tables.put("payment", new MirrorVerifier.TableReport(16229, 16049));
    tables.put("rental", new MirrorVerifier.TableReport(10, 12));

    SyncResult r = new SyncResult(true, tables, 0, 1000, List.of(), null);

    assertThat(r.synced()).isFalse();
    assertThat(r.reason())
        .isEqualTo(
            "counts differ: payment: postgres 16229, convex 16049 (-180);"
                + " rental: postgres 10, convex 12 (+2)");
    assertThat(r.toJson().get("synced").asBoolean()).isFalse();
    assertThat(r.tables().keySet()).containsExactly("customer", "payment", "rental");
  }

  @Test
  void equalCountsKeepTheVerdictAndATimeoutKeepsItsReason() {
    Map<String, MirrorVerifier.TableReport> equal =
        Map.of("users", new MirrorVerifier.TableReport(3, 3));
    assertThat(new SyncResult(true, equal, 0, 1, List.of(), null).synced()).isTrue();

    SyncResult timedOut =
        new SyncResult(
            false,
            Map.of("users", new MirrorVerifier.TableReport(3, 2)),
            0,
            1,
            List.of(),
            "timed out after 5 s");
    assertThat(timedOut.reason())
        .isEqualTo("timed out after 5 s; counts differ: users: postgres 3, convex 2 (-1)");
  }
}
