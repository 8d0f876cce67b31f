package dev.pgconvex.schema;

import static dev.pgconvex.schema.GoldenSeedIT.connect;
import static dev.pgconvex.schema.GoldenSeedIT.execute;
import static org.assertj.core.api.Assertions.assertThat;

import dev.pgconvex.common.mapping.Mapping;
import dev.pgconvex.schema.SchemaDiff.Change;
import dev.pgconvex.schema.SchemaDiff.Kind;
import dev.pgconvex.stack.testing.SharedStack;
import java.sql.Connection;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(120)
class SchemaDiffIT {
  @Test
  void changesMadeInPostgresAfterTheMappingAreListed() throws Exception {
    String url = SharedStack.freshDatabase("diff");
    execute(
        url,
        List.of(
            "CREATE TYPE mood AS ENUM ('sad', 'happy')",
            "CREATE TABLE users (id serial PRIMARY KEY, email text NOT NULL, age int,"
                + " secret text, score numeric(10,2), mood mood)",
            "CREATE TABLE threads (id serial PRIMARY KEY, user_id int NOT NULL, title text,"
                + " owner_id int)",
            "CREATE TABLE gone (id int PRIMARY KEY)",
            "CREATE TABLE later (id int PRIMARY KEY)"));
    Mapping mapping;
    try (Connection c = connect(url)) {
      mapping =
          new CatalogReader(c)
              .read(
                  List.of("users", "threads", "gone"),
                  List.of(RelationSpec.parse("threads.user_id->users")),
                  MappingFile.parse(
                      "tables:\n  users:\n    columns:\n      secret: { exclude: true }\n",
                      "m.yaml"));
      // what `schema diff --mapping-json` reads back
      mapping = Mapping.fromJson(mapping.toJson());
      SchemaDiff none = SchemaDiff.compare(c, mapping, List.of("users", "threads", "gone"));
      assertThat(none.isEmpty()).as(none.text()).isTrue();
      assertThat(none.text()).startsWith("No differences");
    }

    // while the pipeline runs, the app's migrations change the database
    execute(
        url,
        List.of(
            "ALTER TABLE users ADD COLUMN nickname varchar(40)",
            "ALTER TYPE mood ADD VALUE 'ok' BEFORE 'happy'",
            "ALTER TABLE users DROP COLUMN age",
            "ALTER TABLE users ALTER COLUMN score TYPE numeric(20,4)",
            "ALTER TABLE users ALTER COLUMN email DROP NOT NULL",
            "ALTER TABLE threads ALTER COLUMN user_id DROP NOT NULL",
            "ALTER TABLE threads ADD FOREIGN KEY (owner_id) REFERENCES users",
            "DROP TABLE gone"));
    try (Connection c = connect(url)) {
      SchemaDiff diff = SchemaDiff.compare(c, mapping, List.of("users", "threads", "later"));
      assertThat(diff.changes())
          .containsExactlyInAnyOrder(
              new Change(Kind.TABLE_ADDED, "public.later", null, null, null),
              new Change(
                  Kind.COLUMN_ADDED,
                  "public.users",
                  "nickname",
                  null,
                  "character varying(40) NULL"),
              new Change(Kind.COLUMN_REMOVED, "public.users", "age", "integer NULL", null),
              new Change(
                  Kind.TYPE_CHANGED, "public.users", "score", "numeric(10,2)", "numeric(20,4)"),
              new Change(Kind.NULLABILITY_CHANGED, "public.users", "email", "NOT NULL", "NULL"),
              new Change(Kind.NULLABILITY_CHANGED, "public.threads", "user_id", "NOT NULL", "NULL"),
              new Change(Kind.RELATION_ADDED, "public.threads", "owner_id", null, "public.users"),
              new Change(
                  Kind.ENUM_VALUES_CHANGED, "public.users", "mood", "sad,happy", "sad,ok,happy"),
              new Change(Kind.TABLE_REMOVED, "public.gone", null, null, null));
      assertThat(diff.text())
          .startsWith("9 difference(s)")
          .contains(
              "column public.users.nickname was added (character varying(40) NULL): not copied"
                  + " until the schema is regenerated");
    }
  }
}
