package dev.pgconvex.cli.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.pgconvex.cli.Cdc;
import dev.pgconvex.cli.pipeline.Pipeline;
import dev.pgconvex.cli.verify.SyncResult;
import dev.pgconvex.cli.verify.SyncWaiter;
import dev.pgconvex.stack.testing.SharedStack;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A range-partitioned table whose primary key includes the partition key, mirrored through snapshot
 * and streaming: inserts, updates and deletes in its partitions, an update that moves a row to
 * another partition, and a partition created while the pipeline runs all reach Convex, which ends
 * equal to Postgres by content (compared row by row, not by counts).
 */
@Timeout(240)
class PartitionedTableIT {
  @Test
  void changesInEveryPartitionAreMirroredWhileStreaming() throws Exception {
    try (Pipeline p =
        new Pipeline(ItSupport.sharedSettings("partitions", List.of("sale"), List.of()))) {
      p.startInfrastructure();
      try (Connection db = p.connect();
          Statement st = db.createStatement()) {
        st.execute(
            "CREATE TABLE sale (sale_id int, sold_at date, amount numeric(8,2) NOT NULL,"
                + " note text, PRIMARY KEY (sale_id, sold_at)) PARTITION BY RANGE (sold_at)");
        st.execute(
            "CREATE TABLE sale_2024 PARTITION OF sale"
                + " FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')");
        st.execute(
            "CREATE TABLE sale_2025 PARTITION OF sale"
                + " FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')");
        st.execute(
            "INSERT INTO sale SELECT i, DATE '2024-03-01' + (i * 7), i * 1.5, 'snap ' || i"
                + " FROM generate_series(1, 60) i");
        p.startServices();

        // Streaming, into both partitions.
        st.execute(
            "INSERT INTO sale SELECT i, DATE '2024-06-01' + (i * 3), i, 'stream ' || i"
                + " FROM generate_series(101, 180) i");
        st.executeUpdate("UPDATE sale SET note = 'updated', amount = 9.99 WHERE sale_id <= 10");
        st.executeUpdate("DELETE FROM sale WHERE sale_id BETWEEN 11 AND 20");
        // Moves rows from sale_2024 into sale_2025 (the key changes with the partition key).
        st.executeUpdate(
            "UPDATE sale SET sold_at = DATE '2025-02-01' WHERE sale_id BETWEEN 21 AND 25");
        // A partition created while the pipeline runs, and rows in it.
        st.execute(
            "CREATE TABLE sale_2026 PARTITION OF sale"
                + " FOR VALUES FROM ('2026-01-01') TO ('2027-01-01')");
        st.execute(
            "INSERT INTO sale SELECT i, DATE '2026-01-05' + i, i, 'new partition'"
                + " FROM generate_series(201, 230) i");
        st.executeUpdate("UPDATE sale SET note = 'late edit' WHERE sale_id = 205");
        st.executeUpdate("DELETE FROM sale WHERE sale_id = 206");

        SyncResult r =
            new SyncWaiter(p).await(Duration.ofSeconds(150), System.nanoTime(), p.currentWalLsn());
        assertThat(r.synced()).as(r.toJson().toString()).isTrue();
        assertThat(r.mismatches()).isEmpty();
        assertThat(r.tables().get("sale").pgRows()).isEqualTo(60 + 80 - 10 + 30 - 1);

        // A TRUNCATE of one partition (which the publication does not publish) is not lost
        // silently: it is dead-lettered for the parent, naming the fix; the resync it names
        // brings Convex back in line (the snapshot sweep removes the truncated rows).
        long before = r.tables().get("sale").pgRows();
        st.execute("TRUNCATE sale_2024");
        await()
            .atMost(Duration.ofSeconds(60))
            .until(
                () ->
                    p
                            .endpoint()
                            .registry()
                            .find("pgconvex.transformer.dead.letters")
                            .tag("table", "sale")
                            .tag("reason", "truncate")
                            .counters()
                            .stream()
                            .mapToDouble(c -> c.count())
                            .sum()
                        >= 1);
        Path pw = Files.createTempFile("pg", ".txt");
        Files.writeString(pw, SharedStack.postgres().password().reveal());
        int code =
            Cdc.execute(
                "resync",
                "--pg-url",
                p.jdbcUrl(),
                "--pg-user",
                SharedStack.postgres().user(),
                "--pg-password-file",
                pw.toString(),
                "--table",
                "public.sale");
        assertThat(code).isZero();
        SyncResult after =
            new SyncWaiter(p).await(Duration.ofSeconds(150), System.nanoTime(), p.currentWalLsn());
        assertThat(after.synced()).as(after.toJson().toString()).isTrue();
        assertThat(after.tables().get("sale").pgRows()).isLessThan(before).isPositive();
      }
    }
  }
}
