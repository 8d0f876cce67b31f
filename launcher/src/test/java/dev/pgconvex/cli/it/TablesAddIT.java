package dev.pgconvex.cli.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pgconvex.cli.pipeline.Pipeline;
import dev.pgconvex.cli.pipeline.PipelineSettings;
import dev.pgconvex.cli.verify.SyncResult;
import dev.pgconvex.cli.verify.SyncWaiter;
import dev.pgconvex.verify.MirrorCheck;
import dev.pgconvex.verify.VerifyReport;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A table added to a running mirror's capture ({@code ./cdc run --tables} with one more, on the
 * same work dir): it is loaded alone by an incremental snapshot while the others stream from where
 * they were, its foreign keys resolved to the existing parents' documents, and the mirror equals
 * Postgres by content, references included.
 */
@Timeout(300)
class TablesAddIT {
  private static PipelineSettings resuming(PipelineSettings s, List<String> tables) {
    return new PipelineSettings(
        s.pgUrl(),
        s.pgUser(),
        s.pgPassword(),
        s.database(),
        tables,
        s.relations(),
        s.kafka(),
        s.convexUrl(),
        s.convexAdminKey(),
        s.mappingFile(),
        s.workDir(),
        false,
        s.overrides(),
        s.httpPort(),
        s.schema(),
        s.excludeTables());
  }

  @Test
  void anAddedTableIsSnapshottedAloneWhileTheOthersStreamAndItsReferencesResolve()
      throws Exception {
    PipelineSettings base =
        ItSupport.sharedSettings("tablesadd", List.of("public.users", "public.notes"), List.of());
    PipelineSettings first = resuming(base, base.tables());
    try (Pipeline p = new Pipeline(first)) {
      p.startInfrastructure();
      try (Connection db = p.connect();
          Statement st = db.createStatement()) {
        st.execute("CREATE TABLE users (id serial PRIMARY KEY, name text NOT NULL)");
        st.execute(
            "CREATE TABLE notes (id serial PRIMARY KEY, user_id int NOT NULL REFERENCES users,"
                + " body text)");
        st.execute(
            "CREATE TABLE tags (id serial PRIMARY KEY, user_id int NOT NULL REFERENCES users,"
                + " label text NOT NULL)");
        st.execute("INSERT INTO users (name) SELECT 'user ' || g FROM generate_series(1, 100) g");
        st.execute(
            "INSERT INTO notes (user_id, body) SELECT 1 + g % 100, 'n' || g"
                + " FROM generate_series(1, 100) g");
        st.execute(
            "INSERT INTO tags (user_id, label) SELECT 1 + g % 100, 't' || g"
                + " FROM generate_series(1, 150) g");
      }
      p.startServices();
      awaitSynced(p);
      try (Connection db = p.connect();
          Statement st = db.createStatement()) {
        st.executeUpdate("UPDATE users SET name = 'streamed before' WHERE id = 1");
      }
      awaitSynced(p);
    }

    // Meanwhile (the pipeline is down): the captured tables change, and so does the new one.
    List<String> more = List.of("public.users", "public.notes", "public.tags");
    try (Pipeline p = new Pipeline(resuming(base, more))) {
      p.startInfrastructure();
      try (Connection db = p.connect();
          Statement st = db.createStatement()) {
        st.executeUpdate("UPDATE users SET name = 'changed while down' WHERE id = 2");
        st.executeUpdate("INSERT INTO tags (user_id, label) VALUES (2, 'added while down')");
      }
      p.startServices();
      try (Connection db = p.connect();
          Statement st = db.createStatement()) {
        st.executeUpdate("UPDATE users SET name = 'streamed after' WHERE id = 3");
        st.executeUpdate("INSERT INTO tags (user_id, label) VALUES (3, 'streamed tag')");
      }
      awaitSynced(p);
      Map<String, JsonNode> users = PipelineIT.docs(p, "users");
      assertThat(users.get("[1]").get("name").asText()).isEqualTo("streamed before");
      assertThat(users.get("[2]").get("name").asText()).isEqualTo("changed while down");
      assertThat(users.get("[3]").get("name").asText()).isEqualTo("streamed after");
      Map<String, JsonNode> tags = PipelineIT.docs(p, "tags");
      assertThat(tags).hasSize(152);
      Map<String, String> userIds = PipelineIT.keyToId(p, "users");
      assertThat(tags.get("[151]").get("userId").asText()).isEqualTo(userIds.get("[2]"));

      VerifyReport report =
          new MirrorCheck(
                  p::connect,
                  p.mapping(),
                  p.convex(),
                  new MirrorCheck.Options(1000, 1, Duration.ofSeconds(10), null, 20),
                  MirrorCheck.Progress.NONE)
              .run(List.of());
      assertThat(report.equal()).as(report.toJson().toString()).isTrue();
      assertThat(report.tables()).containsKeys("users", "notes", "tags");
    }
  }

  private static void awaitSynced(Pipeline p) throws Exception {
    SyncResult synced =
        new SyncWaiter(p).await(Duration.ofSeconds(120), System.nanoTime(), p.currentWalLsn());
    assertThat(synced.synced()).as(synced.toJson().toString()).isTrue();
  }
}
