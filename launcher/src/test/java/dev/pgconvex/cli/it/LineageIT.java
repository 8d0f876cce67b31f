package dev.pgconvex.cli.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pgconvex.cli.demo.DemoDatabase;
import dev.pgconvex.cli.pipeline.Pipeline;
import dev.pgconvex.common.json.Json;
import dev.pgconvex.stack.EmbeddedPostgresServer;
import dev.pgconvex.stack.testing.SharedStack;
import dev.pgconvex.stack.testing.TestNames;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * State of one lineage is never mixed with another, and {@code ./cdc reset} starts over: on one
 * work dir (embedded broker and emulator kept), a re-snapshot over the existing mirror removes the
 * documents of rows deleted while nothing streamed; a wiped Convex and a second database are each
 * refused before anything is written, naming the reset; after {@code ./cdc reset --convex-data} the
 * run against the second database converges to it by content.
 */
@Timeout(600)
class LineageIT {
  @Test
  void lineagesAreNeverMixedAndResetStartsOver() throws Exception {
    EmbeddedPostgresServer pg = SharedStack.postgres();
    String url1 = SharedStack.freshDatabase("lineage_a");
    String url2 = SharedStack.freshDatabase("lineage_b");
    String unique = TestNames.unique("lineage");
    Path work = Path.of("target", "it", unique).toAbsolutePath();
    Files.createDirectories(work);
    Path pw = work.resolve("pg.pw");
    Files.writeString(pw, pg.password().reveal());
    Path cdcWork = work.resolve("cdc");
    List<String> common =
        List.of(
            "--pg-user",
            pg.user(),
            "--pg-password-file",
            pw.toString(),
            "--work-dir",
            cdcWork.toString(),
            "--set",
            "cdc.topic.prefix=" + unique,
            "--set",
            "source.slot.name=" + unique,
            "--set",
            "source.publication.name=" + unique + "_pub");

    try (Connection db1 = pg.connect(name(url1));
        Connection db2 = pg.connect(name(url2))) {
      DemoDatabase one = new DemoDatabase(db1, 1);
      one.createSchema();
      one.load(120);
      DemoDatabase two = new DemoDatabase(db2, 2);
      two.createSchema();
      two.load(90);

      // 1. The first run mirrors database one.
      assertThat(synced(run(url1, common)).get("snapshotRows").asLong()).isPositive();

      // 2. Rows deleted while nothing streams, then a reset that keeps the mirror: the new
      // snapshot runs over it, and the documents of the deleted rows are removed.
      try (Statement st = db1.createStatement()) {
        st.executeUpdate("DELETE FROM messages WHERE id BETWEEN 1 AND 12");
      }
      CliResult reset = cli(with(List.of("reset", "--pg-url", url1), common));
      assertThat(reset.code).as(reset.all()).isZero();
      assertThat(reset.out).contains("drop replication slot", "embedded Kafka broker's data");
      JsonNode resnap = synced(run(url1, common));
      assertThat(resnap.get("snapshotRows").asLong()).isPositive();

      // 3. A wiped Convex (the emulator's data gone) with Kafka's ids of the old one: refused.
      Pipeline.deleteRecursively(cdcWork.resolve("convex-data"));
      CliResult wiped = cli(runArgs(url1, common));
      assertThat(wiped.code).as(wiped.all()).isEqualTo(1);
      assertThat(wiped.err).contains("holds no mirror", "./cdc reset").doesNotContain("\tat ");

      // 4. Another database behind the same Kafka state: refused before anything is written.
      CliResult other = cli(runArgs(url2, common));
      assertThat(other.code).as(other.all()).isEqualTo(1);
      assertThat(other.err)
          .contains("database '" + name(url1) + "'", "database '" + name(url2) + "'", "./cdc reset")
          .doesNotContain("\tat ");

      // 5. A dry run lists the steps and changes nothing.
      CliResult dry =
          cli(with(List.of("reset", "--pg-url", url1, "--convex-data", "--dry-run"), common));
      assertThat(dry.code).as(dry.all()).isZero();
      assertThat(dry.out).contains("would delete the embedded Kafka broker's data");
      assertThat(cdcWork.resolve("kafka")).exists();

      // 6. Reset with the mirror, then database two: synced to it by content.
      CliResult full = cli(with(List.of("reset", "--pg-url", url1, "--convex-data"), common));
      assertThat(full.code).as(full.all()).isZero();
      assertThat(cdcWork.resolve("kafka")).doesNotExist();
      JsonNode second = synced(run(url2, common));
      assertThat(second.get("tables").get("messages").get("pgRows").asLong())
          .isEqualTo(second.get("tables").get("messages").get("convexDocs").asLong())
          .isEqualTo(two.messages());
    }
  }

  private static List<String> runArgs(String url, List<String> common) {
    List<String> args = new ArrayList<>();
    args.addAll(List.of("run", "--pg-url", url, "--tables", String.join(",", DemoDatabase.TABLES)));
    DemoDatabase.RELATIONS.forEach(
        r -> {
          args.add("--relation");
          args.add(r);
        });
    args.addAll(common);
    args.addAll(List.of("--exit-when-synced", "--json", "--timeout-s", "120"));
    return args;
  }

  private static CliResult run(String url, List<String> common) throws Exception {
    return cli(runArgs(url, common));
  }

  private static JsonNode synced(CliResult r) {
    assertThat(r.code).as(r.all()).isZero();
    JsonNode summary = Json.parse(r.out.strip());
    assertThat(summary.get("synced").asBoolean()).as(summary.toString()).isTrue();
    assertThat(summary.get("mismatches")).as(summary.toString()).isNullOrEmpty();
    return summary;
  }

  private static List<String> with(List<String> head, List<String> tail) {
    List<String> out = new ArrayList<>(head);
    out.addAll(tail);
    return out;
  }

  private static CliResult cli(List<String> args) throws Exception {
    try (ChildCli c = ChildCli.start(args)) {
      int code = c.awaitExit(Duration.ofSeconds(240));
      return new CliResult(code, c.out(), c.err());
    }
  }

  private record CliResult(int code, String out, String err) {
    String all() {
      return out + "\n" + err;
    }
  }

  private static String name(String url) {
    return url.substring(url.lastIndexOf('/') + 1);
  }
}
