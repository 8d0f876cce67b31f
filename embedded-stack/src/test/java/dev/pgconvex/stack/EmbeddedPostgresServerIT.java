package dev.pgconvex.stack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pgconvex.common.config.Secret;
import dev.pgconvex.stack.testing.TestNames;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(120)
class EmbeddedPostgresServerIT {
  private static EmbeddedPostgresServer pg;

  @BeforeAll
  static void startServer() {
    pg =
        EmbeddedPostgresServer.builder(Path.of("target", "it", TestNames.unique("pg")))
            .password(new Secret("s3cret-pw"))
            .build();
    pg.start();
  }

  @AfterAll
  static void closeServer() {
    pg.close();
  }

  @Test
  void logicalReplicationSettingsAreOn() throws SQLException {
    try (Connection c = pg.connect("postgres");
        Statement s = c.createStatement()) {
      assertThat(setting(s, "wal_level")).isEqualTo("logical");
      assertThat(setting(s, "max_replication_slots")).isEqualTo("32");
      assertThat(setting(s, "max_wal_senders")).isEqualTo("32");
      assertThat(setting(s, "synchronous_commit")).isEqualTo("on");
      assertThat(setting(s, "server_version_num")).startsWith("17");
    }
  }

  @Test
  void pgoutputSlotSeesAChange() throws SQLException {
    String db = TestNames.unique("repl");
    pg.createDatabase(db);
    String slot = TestNames.unique("slot");
    try (Connection c = pg.connect(db);
        Statement s = c.createStatement()) {
      s.execute("CREATE TABLE items (id int PRIMARY KEY, name text)");
      s.execute("CREATE PUBLICATION pub FOR TABLE items");
      s.execute("SELECT pg_create_logical_replication_slot('" + slot + "', 'pgoutput')");
      s.execute("INSERT INTO items VALUES (1, 'one')");
      List<byte[]> messages = new ArrayList<>();
      try (ResultSet rs =
          s.executeQuery(
              "SELECT data FROM pg_logical_slot_peek_binary_changes('"
                  + slot
                  + "', NULL, NULL, 'proto_version', '1', 'publication_names', 'pub')")) {
        while (rs.next()) {
          messages.add(rs.getBytes(1));
        }
      }
      // pgoutput: Begin, Relation, Insert, Commit; the insert carries the row as text.
      assertThat(messages).extracting(m -> (char) m[0]).containsSubsequence('B', 'R', 'I', 'C');
      byte[] insert = messages.stream().filter(m -> m[0] == 'I').findFirst().orElseThrow();
      assertThat(new String(insert, java.nio.charset.StandardCharsets.ISO_8859_1)).contains("one");
      s.execute("SELECT pg_drop_replication_slot('" + slot + "')");
    }
  }

  @Test
  void passwordIsChecked() {
    Properties wrong = new Properties();
    wrong.setProperty("user", "postgres");
    wrong.setProperty("password", "wrong");
    assertThatThrownBy(() -> DriverManager.getConnection(pg.jdbcUrl("postgres"), wrong).close())
        .isInstanceOf(SQLException.class)
        .hasMessageContaining("password authentication failed");
    assertThat(pg.password().reveal()).isEqualTo("s3cret-pw");
    assertThat(pg.jdbcUrl("x")).isEqualTo("jdbc:postgresql://127.0.0.1:" + pg.port() + "/x");
  }

  @Test
  void roleWithoutReplicationCannotStream() throws SQLException {
    String role = TestNames.unique("norepl");
    try (Connection c = pg.connect("postgres");
        Statement s = c.createStatement()) {
      s.execute("CREATE ROLE " + role + " LOGIN PASSWORD 'pw' NOREPLICATION");
    }
    Properties props = new Properties();
    props.setProperty("user", role);
    props.setProperty("password", "pw");
    props.setProperty("replication", "database");
    props.setProperty("assumeMinServerVersion", "9.4");
    props.setProperty("preferQueryMode", "simple");
    assertThatThrownBy(() -> DriverManager.getConnection(pg.jdbcUrl("postgres"), props).close())
        .isInstanceOf(SQLException.class)
        .hasMessageContaining("WAL sender");
  }

  @Test
  void restartKeepsPortAndData() throws SQLException {
    try (EmbeddedPostgresServer own =
        new EmbeddedPostgresServer(Path.of("target", "it", TestNames.unique("pgrestart")))) {
      own.start();
      int port = own.port();
      own.createDatabase("keep");
      try (Connection c = own.connect("keep");
          Statement s = c.createStatement()) {
        s.execute("CREATE TABLE t (v text)");
        s.execute("INSERT INTO t VALUES ('kept')");
      }
      try (Connection open = own.connect("keep")) {
        own.restart();
        // Connections from before the restart are gone; new ones work.
        assertThatThrownBy(() -> open.createStatement().execute("SELECT 1"))
            .isInstanceOf(SQLException.class);
      }
      assertThat(own.port()).isEqualTo(port);
      try (Connection c = own.connect("keep");
          Statement s = c.createStatement();
          ResultSet rs = s.executeQuery("SELECT v FROM t")) {
        assertThat(rs.next()).isTrue();
        assertThat(rs.getString(1)).isEqualTo("kept");
      }
      own.stop();
      assertThat(own.isRunning()).isFalse();
      assertThatThrownBy(() -> own.connect("keep").close()).isInstanceOf(SQLException.class);
      own.start();
      assertThat(own.isRunning()).isTrue();
      own.close();
      own.close(); // idempotent
      assertThat(own.dataDirectory()).doesNotExist();
      assertThatThrownBy(own::start).isInstanceOf(IllegalStateException.class);
    }
  }

  @Test
  void keptDataAndPasswordServeTheNextServerOnTheSameDirectory() throws Exception {
    Path dir = Path.of("target", "it", TestNames.unique("pgkept"));
    String password;
    try (EmbeddedPostgresServer first =
        EmbeddedPostgresServer.builder(dir).keepData(true).build()) {
      first.start();
      password = first.password().reveal();
      first.createDatabase("keep");
      try (Connection c = first.connect("keep");
          Statement s = c.createStatement()) {
        s.execute("CREATE TABLE t (v text)");
        s.execute("INSERT INTO t VALUES ('kept')");
      }
    }
    assertThat(dir.resolve("superuser.pw")).exists();
    assertThat(java.nio.file.Files.getPosixFilePermissions(dir.resolve("superuser.pw")))
        .containsExactlyInAnyOrder(
            java.nio.file.attribute.PosixFilePermission.OWNER_READ,
            java.nio.file.attribute.PosixFilePermission.OWNER_WRITE);
    // A new server object, as the next process would make: same password, same data.
    try (EmbeddedPostgresServer second =
        EmbeddedPostgresServer.builder(dir).keepData(true).build()) {
      second.start();
      assertThat(second.password().reveal()).isEqualTo(password);
      try (Connection c = second.connect("keep");
          Statement s = c.createStatement();
          ResultSet rs = s.executeQuery("SELECT v FROM t")) {
        assertThat(rs.next()).isTrue();
        assertThat(rs.getString(1)).isEqualTo("kept");
      }
    }
  }

  private static String setting(Statement s, String name) throws SQLException {
    try (ResultSet rs = s.executeQuery("SHOW " + name)) {
      rs.next();
      return rs.getString(1);
    }
  }
}
