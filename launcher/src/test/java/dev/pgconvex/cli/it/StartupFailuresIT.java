package dev.pgconvex.cli.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgconvex.cli.Cdc;
import dev.pgconvex.cli.CliRun;
import dev.pgconvex.stack.testing.SharedStack;
import dev.pgconvex.stack.testing.TestNames;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Bad input at start-up: one clear message naming the problem and the fix, before anything is
 * written.
 */
@Timeout(300)
class StartupFailuresIT {
  @Test
  void missingTableAndTableWithoutKeyAreNamedWithTheFix() throws Exception {
    String url = SharedStack.freshDatabase("badinput");
    try (Connection c = connect(url);
        Statement st = c.createStatement()) {
      st.execute("CREATE TABLE nokey (a int, b text)");
    }
    CliRun r =
        CliRun.of(
            "run",
            "--pg-url",
            url,
            "--pg-password-file",
            passwordFile().toString(),
            "--tables",
            "public.nokey,public.nothere",
            "--kafka",
            SharedStack.kafka().bootstrapServers(),
            "--work-dir",
            "target/it/" + TestNames.unique("bad"),
            "--exit-when-synced");
    assertThat(r.code).isNotZero();
    assertThat(r.err)
        .contains("table public.nokey has no primary key")
        .contains("table public.nothere does not exist");
    try (Connection c = connect(url);
        Statement st = c.createStatement();
        var rs =
            st.executeQuery(
                "SELECT count(*) FROM pg_replication_slots WHERE database = current_database()")) {
      rs.next();
      assertThat(rs.getInt(1)).as("no slot was created").isZero();
    }
  }

  @Test
  void aUserWithoutReplicationIsRefusedWithTheFix() throws Exception {
    String url = SharedStack.freshDatabase("norepl");
    try (Connection c = connect(url);
        Statement st = c.createStatement()) {
      st.execute("CREATE TABLE t (id int PRIMARY KEY)");
      st.execute(
          "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'plain') THEN"
              + " CREATE ROLE plain LOGIN PASSWORD 'plainpw' NOREPLICATION; END IF; END $$");
      st.execute("GRANT SELECT ON t TO plain");
      st.execute("GRANT CREATE ON SCHEMA public TO plain");
    }
    Path pw = Files.createTempFile("pw", ".txt");
    Files.writeString(pw, "plainpw");
    CliRun r =
        CliRun.of(
            "run",
            "--pg-url",
            url,
            "--pg-user",
            "plain",
            "--pg-password-file",
            pw.toString(),
            "--tables",
            "public.t",
            "--kafka",
            SharedStack.kafka().bootstrapServers(),
            "--work-dir",
            "target/it/" + TestNames.unique("norepl"),
            "--exit-when-synced",
            "--timeout-s",
            "30");
    assertThat(r.code).isNotZero();
    assertThat(r.err).containsIgnoringCase("REPLICATION").doesNotContain("plainpw");
  }

  /**
   * A wrong Convex admin key stops the run with a clear error, and the key appears nowhere in the
   * output.
   */
  @Test
  void wrongConvexAdminKeyIsAClearErrorAndNeverPrinted() throws Exception {
    String url = SharedStack.freshDatabase("badkey");
    try (Connection c = connect(url);
        Statement st = c.createStatement()) {
      st.execute("CREATE TABLE items (id int PRIMARY KEY, name text)");
      st.execute("INSERT INTO items VALUES (1, 'one')");
    }
    String convexUrl = SharedStack.convex().url();
    String wrongKey = "wrong-admin-key-" + TestNames.unique("k");
    String unique = TestNames.unique("badkey");
    List<String> cmd =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                Cdc.class.getName(),
                "run",
                "--pg-url",
                url,
                "--pg-password-file",
                passwordFile().toString(),
                "--tables",
                "public.items",
                "--kafka",
                SharedStack.kafka().bootstrapServers(),
                "--convex-url",
                convexUrl,
                "--work-dir",
                "target/it/" + unique,
                "--exit-when-synced",
                "--timeout-s",
                "90",
                "--set",
                "cdc.topic.prefix=" + unique,
                "--set",
                "source.slot.name=" + unique,
                "--set",
                "source.publication.name=" + unique + "_pub"));
    Path log = Files.createTempFile("badkey", ".log");
    ProcessBuilder pb =
        new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(new File(log.toString()));
    pb.environment().put("CONVEX_ADMIN_KEY", wrongKey);
    Process proc = pb.start();
    assertThat(proc.waitFor(180, TimeUnit.SECONDS)).isTrue();
    String out = Files.readString(log);
    assertThat(proc.exitValue()).as(out).isNotZero();
    assertThat(out).contains("admin key").doesNotContain(wrongKey);
  }

  private static Connection connect(String url) throws Exception {
    var pg = SharedStack.postgres();
    return DriverManager.getConnection(url, pg.user(), pg.password().reveal());
  }

  private static Path passwordFile() throws Exception {
    Path pw = Files.createTempFile("pg", ".txt");
    Files.writeString(pw, SharedStack.postgres().password().reveal());
    return pw;
  }
}
