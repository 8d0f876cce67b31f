package dev.pgconvex.schema.evolve;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pgconvex.common.mapping.ColumnMapping;
import dev.pgconvex.common.mapping.FieldType;
import dev.pgconvex.common.mapping.Mapping;
import dev.pgconvex.common.mapping.TableMapping;
import dev.pgconvex.schema.SchemaTsWriter;
import dev.pgconvex.schema.evolve.EvolutionPlan.Change;
import dev.pgconvex.schema.evolve.EvolutionPlan.Kind;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The plan of each DDL kind, and the widened and narrowed schemas it writes. */
class EvolutionPlanTest {
  private static ColumnMapping col(String c, String f, String pg, FieldType t, boolean nullable) {
    return ColumnMapping.of(c, f, pg, t, nullable);
  }

  // users (id serial PK, name text NOT NULL, email text, score int NOT NULL)
  private static Mapping users(ColumnMapping... columns) {
    return new Mapping(
        List.of(
            new TableMapping(
                "public", "users", "users", List.of("id"), List.of(columns), List.of())));
  }

  private static final ColumnMapping NAME = col("name", "name", "text", FieldType.STRING, false);
  private static final ColumnMapping EMAIL = col("email", "email", "text", FieldType.STRING, true);
  private static final ColumnMapping SCORE = col("score", "score", "int4", FieldType.NUMBER, false);
  private static final Mapping BEFORE = users(NAME, EMAIL, SCORE);

  private static EvolutionPlan plan(Mapping now) {
    return EvolutionPlan.of("m1", 1L, BEFORE, now);
  }

  private static String schema(Mapping m) {
    return SchemaTsWriter.write(m, false);
  }

  @Test
  void aRenameInPlaceIsConfirmedAndWidensToBothFieldsOptional() {
    EvolutionPlan p =
        plan(users(col("full_name", "fullName", "text", FieldType.STRING, false), EMAIL, SCORE));

    assertThat(p.tables())
        .singleElement()
        .satisfies(
            t -> {
              assertThat(t.changes())
                  .containsExactly(new Change(Kind.RENAMED, "full_name", "name", null, true));
              assertThat(t.describe())
                  .isEqualTo(
                      "public.users: `name` gone and `full_name` added: renamed (it sits where"
                          + " `name` was)");
            });
    String widened = schema(p.widened());
    assertThat(widened)
        .contains("fullName: v.optional(v.string()), // full_name text NOT NULL (widened")
        .contains("name: v.optional(v.string()), // retired column name text (migration m1");
    String narrowed = schema(p.narrowed());
    assertThat(narrowed).contains("fullName: v.string(),").doesNotContain("name: ");
    TableMapping w = p.widened().tables().get(0);
    assertThat(w.widening().added()).containsExactly("full_name");
    assertThat(w.widening().retired()).containsExactly(NAME);
    assertThat(p.narrowed().tables().get(0).widening()).isNull();
  }

  @Test
  void anAddedColumnLastIsNotARenameOfADroppedOneOfAnotherType() {
    EvolutionPlan p =
        plan(users(NAME, EMAIL, SCORE, col("age", "age", "int4", FieldType.NUMBER, true)));
    assertThat(p.tables().get(0).changes())
        .containsExactly(new Change(Kind.ADDED, "age", null, "int4", false));

    EvolutionPlan dropAndAdd =
        plan(users(NAME, SCORE, col("age", "age", "int4", FieldType.NUMBER, true)));
    assertThat(dropAndAdd.tables().get(0).changes())
        .containsExactly(
            new Change(Kind.DROPPED, "email", null, null, false),
            new Change(Kind.ADDED, "age", null, "int4", false));
  }

  @Test
  void aSameTypeColumnAddedLastAfterADropIsARenameButUnconfirmed() {
    EvolutionPlan p =
        plan(users(NAME, SCORE, col("contact", "contact", "text", FieldType.STRING, true)));
    assertThat(p.tables().get(0).changes())
        .containsExactly(new Change(Kind.RENAMED, "contact", "email", null, false));
    assertThat(p.tables().get(0).describe()).endsWith("renamed?");
  }

  @Test
  void aDroppedColumnStaysOptionalUntilTheNarrowRemovesIt() {
    EvolutionPlan p = plan(users(NAME, SCORE));
    assertThat(p.tables().get(0).changes())
        .containsExactly(new Change(Kind.DROPPED, "email", null, null, false));
    assertThat(schema(p.widened())).contains("email: v.optional(v.string()), // retired column");
    assertThat(schema(p.narrowed())).doesNotContain("email");
  }

  @Test
  void aRetypeWidensToTheUnionAndNarrowsToTheNewType() {
    EvolutionPlan p =
        plan(users(NAME, EMAIL, col("score", "score", "text", FieldType.STRING, false)));
    assertThat(p.tables().get(0).changes())
        .containsExactly(new Change(Kind.RETYPED, "score", "int4", "text", false));
    assertThat(schema(p.widened()))
        .contains("score: v.optional(v.union(v.string(), v.number())), // score text NOT NULL");
    assertThat(schema(p.narrowed())).contains("score: v.string(),");
  }

  @Test
  void nothingChangedIsAnEmptyPlanAndATableSetChangeIsRefused() {
    assertThat(plan(BEFORE).isEmpty()).isTrue();
    assertThatThrownBy(() -> plan(new Mapping(List.of())))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("public.users is no longer captured")
        .hasMessageContaining("changes columns only");
  }

  @Test
  void thePlanRoundTripsThroughItsFile() {
    EvolutionPlan p =
        plan(users(col("full_name", "fullName", "text", FieldType.STRING, false), EMAIL, SCORE));
    assertThat(EvolutionPlan.fromJson(p.toJson())).isEqualTo(p);
  }
}
