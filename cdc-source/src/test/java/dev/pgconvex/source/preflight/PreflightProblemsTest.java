package dev.pgconvex.source.preflight;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pgconvex.source.config.TableId;
import java.util.List;
import org.junit.jupiter.api.Test;

class PreflightProblemsTest {
  private static final TableId T = new TableId("public", "orders");

  @Test
  void walLevelSaysHowToFixIt() {
    assertThat(PreflightProblems.walLevel("replica"))
        .isEqualTo(
            "wal_level is 'replica': set wal_level=logical in postgresql.conf (ALTER SYSTEM SET"
                + " wal_level = logical) and restart Postgres");
  }

  @Test
  void everyProblemNamesItsFix() {
    List<String> all =
        List.of(
            PreflightProblems.noReplication("app"),
            PreflightProblems.tableMissing(T),
            PreflightProblems.notATable(T, "view"),
            PreflightProblems.noSelect(T, "app"),
            PreflightProblems.noKey(T),
            PreflightProblems.noReplicaIdentity(T, "DEFAULT"),
            PreflightProblems.replicaIdentityNothing(T),
            PreflightProblems.keyColumnsMissing(T, List.of("x")),
            PreflightProblems.keyColumnsNullable(T, List.of("x")),
            PreflightProblems.slotWrongPlugin("s", "wal2json"),
            PreflightProblems.slotNotLogical("s", "physical"),
            PreflightProblems.slotOtherDatabase("s", "a", "b"),
            PreflightProblems.slotActive("s", 42),
            PreflightProblems.slotLost("s"),
            PreflightProblems.noFreeSlot(10, 10),
            PreflightProblems.slotMissingWithOffsets("s", "p.offsets"),
            PreflightProblems.cannotWriteHeartbeatTable(T, "app"),
            PreflightProblems.noWalSenders(),
            PreflightProblems.cannotCreateHeartbeatTable(T, "app"),
            PreflightProblems.cannotCreatePublication("pub", List.of(T)),
            PreflightProblems.publicationNotViaRoot("pub", List.of(T)),
            PreflightProblems.otherLineage(
                "p",
                new dev.pgconvex.common.lineage.SourceIdentity("1", "a", "s"),
                new dev.pgconvex.common.lineage.SourceIdentity("2", "a", "s")));
    // Each sentence says what is wrong, then (after the colon) what to do.
    assertThat(all).allSatisfy(p -> assertThat(p).matches("(?s)[^:]+.*: .+"));
    assertThat(PreflightProblems.noReplication("app"))
        .contains("ALTER ROLE \"app\" WITH REPLICATION");
    assertThat(PreflightProblems.noKey(T))
        .contains("ADD PRIMARY KEY", "source.key.columns", "REPLICA IDENTITY FULL");
    assertThat(PreflightProblems.slotLost("s"))
        .contains("resync is needed", "pg_drop_replication_slot('s')");
    assertThat(PreflightProblems.slotActive("s", 42)).contains("process 42");
    assertThat(
            PreflightProblems.otherLineage(
                "p",
                new dev.pgconvex.common.lineage.SourceIdentity("1", "shop", "s"),
                new dev.pgconvex.common.lineage.SourceIdentity("2", "shop", "s")))
        .contains("cluster 1", "cluster 2", "./cdc reset");
  }

  @Test
  void exceptionListsEveryProblemOnItsOwnLine() {
    SourcePreflightException e =
        new SourcePreflightException(
            List.of(PreflightProblems.walLevel("minimal"), PreflightProblems.tableMissing(T)));
    assertThat(e.problems()).hasSize(2);
    assertThat(e.getMessage())
        .startsWith("Postgres is not ready for change capture (2 problems):")
        .contains(System.lineSeparator() + "  - wal_level is 'minimal'")
        .contains(System.lineSeparator() + "  - table public.orders does not exist");
    assertThatThrownBy(() -> new SourcePreflightException(List.of()))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
