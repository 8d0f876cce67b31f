package dev.pgconvex.soak;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/**
 * The soak's tables, built to exercise every hard case of the mirror at once:
 *
 * <ul>
 *   <li>{@code soak_accounts}: a TOASTed {@code bio} (stored out of line, uncompressed), so an
 *       update of another column carries Debezium's unchanged-TOAST placeholder;
 *   <li>{@code soak_projects -> soak_accounts} and {@code soak_tasks -> soak_projects}: required
 *       references declared as relations, not constraints, so a child can be committed before its
 *       parent (which comes later) and be re-parented; tasks have a text key that changes;
 *   <li>{@code soak_teams <-> soak_members}: a NOT NULL foreign-key cycle of real, deferred
 *       constraints, written in one transaction.
 * </ul>
 */
public final class SoakSchema {
  /** The captured tables. */
  public static final List<String> TABLES =
      List.of(
          "public.soak_accounts",
          "public.soak_projects",
          "public.soak_tasks",
          "public.soak_teams",
          "public.soak_members");

  /** The relations the DDL leaves undeclared (so children may come first). */
  public static final List<String> RELATIONS =
      List.of("soak_projects.account_id->soak_accounts", "soak_tasks.project_id->soak_projects");

  private SoakSchema() {}

  /** Creates the tables and sequences (dropping earlier ones). */
  public static void create(Connection c) throws SQLException {
    try (Statement st = c.createStatement()) {
      st.execute(
          "DROP TABLE IF EXISTS soak_tasks, soak_projects, soak_accounts, soak_members, soak_teams"
              + " CASCADE");
      st.execute("DROP SEQUENCE IF EXISTS soak_ids, soak_task_codes");
      st.execute("CREATE SEQUENCE soak_ids");
      st.execute("CREATE SEQUENCE soak_task_codes");
      st.execute(
          "CREATE TABLE soak_accounts (id bigint PRIMARY KEY, name text NOT NULL, bio text,"
              + " revision int NOT NULL DEFAULT 0)");
      // EXTERNAL: out of line and uncompressed, so every bio of a few KB is really TOASTed.
      st.execute("ALTER TABLE soak_accounts ALTER COLUMN bio SET STORAGE EXTERNAL");
      st.execute(
          "CREATE TABLE soak_projects (id bigint PRIMARY KEY, account_id bigint NOT NULL,"
              + " title text NOT NULL, revision int NOT NULL DEFAULT 0)");
      st.execute("CREATE INDEX soak_projects_account ON soak_projects (account_id)");
      st.execute(
          "CREATE TABLE soak_tasks (code text PRIMARY KEY, project_id bigint NOT NULL,"
              + " state text NOT NULL, n int NOT NULL)");
      st.execute("CREATE INDEX soak_tasks_project ON soak_tasks (project_id)");
      st.execute(
          "CREATE TABLE soak_teams (id bigint PRIMARY KEY, name text NOT NULL,"
              + " lead_id bigint NOT NULL)");
      st.execute(
          "CREATE TABLE soak_members (id bigint PRIMARY KEY, team_id bigint NOT NULL"
              + " REFERENCES soak_teams DEFERRABLE INITIALLY DEFERRED, name text NOT NULL)");
      st.execute("CREATE INDEX soak_members_team ON soak_members (team_id)");
      st.execute(
          "ALTER TABLE soak_teams ADD CONSTRAINT soak_teams_lead FOREIGN KEY (lead_id)"
              + " REFERENCES soak_members DEFERRABLE INITIALLY DEFERRED");
    }
  }
}
