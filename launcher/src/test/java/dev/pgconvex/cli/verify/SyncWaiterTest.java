package dev.pgconvex.cli.verify;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgconvex.verify.Finding;
import dev.pgconvex.verify.MirrorVerifier;
import dev.pgconvex.verify.TableResult;
import dev.pgconvex.verify.VerifyReport;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The sync check's verdict from a {@code ./cdc verify} report. */
class SyncWaiterTest {
  private static TableResult table(
      String name, long rows, long docs, List<Finding> different, long all, long inFlight) {
    return new TableResult(
        name,
        rows,
        docs,
        1,
        all > 0 ? 1 : 0,
        all > 0 ? Map.of(Finding.Kind.DIFFERENT, all) : Map.of(),
        List.of(),
        List.of(),
        different,
        List.of(),
        List.of(),
        TableResult.UnkeyedCheck.COUNT,
        List.of(),
        inFlight);
  }

  private static MirrorVerifier.Report of(TableResult... tables) {
    Map<String, TableResult> m = new LinkedHashMap<>();
    for (TableResult t : tables) {
      m.put(t.table(), t);
    }
    return SyncWaiter.report(new VerifyReport(m, List.of(), 10, 10));
  }

  @Test
  void anEqualReportIsInSyncWithItsCounts() {
    MirrorVerifier.Report r = of(table("users", 3, 3, List.of(), 0, 0));
    assertThat(r.inSync()).isTrue();
    assertThat(r.tables()).containsEntry("users", new MirrorVerifier.TableReport(3, 3));
  }

  @Test
  void differencesAreListedAndTheirNumberWhenCut() {
    Finding f =
        new Finding(Finding.Kind.DIFFERENT, "[1]", "name", "\"a\"", "\"b\"", null, "k1", "p");
    MirrorVerifier.Report r = of(table("users", 3, 3, List.of(f), 5, 0));
    assertThat(r.inSync()).isFalse();
    assertThat(r.mismatches())
        .hasSize(2)
        .first()
        .asString()
        .startsWith("users [1]: ")
        .contains("name");
    assertThat(r.mismatches().get(1)).isEqualTo("users: 5 differences in all");
  }

  @Test
  void keysStillChangingAreNotASyncedVerdict() {
    MirrorVerifier.Report r = of(table("users", 3, 3, List.of(), 0, 2));
    assertThat(r.inSync()).isFalse();
    assertThat(r.mismatches()).containsExactly("users: 2 keys still changing, not compared yet");
  }
}
