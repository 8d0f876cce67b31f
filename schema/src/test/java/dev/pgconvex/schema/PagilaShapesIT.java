package dev.pgconvex.schema;

import static dev.pgconvex.schema.GoldenSeedIT.connect;
import static dev.pgconvex.schema.GoldenSeedIT.execute;
import static org.assertj.core.api.Assertions.assertThat;

import dev.pgconvex.common.mapping.ColumnMapping;
import dev.pgconvex.common.mapping.FieldType;
import dev.pgconvex.common.mapping.Mapping;
import dev.pgconvex.common.mapping.RelationMapping;
import dev.pgconvex.common.mapping.TableMapping;
import dev.pgconvex.stack.testing.SharedStack;
import java.sql.Connection;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The shapes of the Pagila sample database that the translation got wrong: foreign keys declared on
 * the partitions only ({@code payment}), many partitions, full-text indexes. A fresh database per
 * test.
 */
@Timeout(120)
class PagilaShapesIT {
  private final List<String> warnings = new ArrayList<>();
  private String url;

  /**
   * {@code customer}, {@code staff} and {@code payment}, partitioned by month into {@code months}
   * partitions ({@code payment_p2022_01}...) that declare no keys yet.
   *
   * @return the partitions' names
   */
  private List<String> pagila(int months) throws Exception {
    url = SharedStack.freshDatabase("pagila");
    execute(
        url,
        List.of(
            "CREATE TABLE customer (customer_id int PRIMARY KEY, name text)",
            "CREATE TABLE staff (staff_id int PRIMARY KEY)",
            "CREATE TABLE payment (payment_id int NOT NULL, customer_id int NOT NULL,"
                + " staff_id int NOT NULL, amount numeric(5,2), payment_date date NOT NULL,"
                + " PRIMARY KEY (payment_date, payment_id)) PARTITION BY RANGE (payment_date)"));
    return monthly("payment", months);
  }

  /** Partitions {@code parent} by month from January 2022; returns the partitions' names. */
  private List<String> monthly(String parent, int months) throws Exception {
    List<String> names = new ArrayList<>();
    List<String> ddl = new ArrayList<>();
    for (int i = 0; i < months; i++) {
      LocalDate from = LocalDate.of(2022, 1, 1).plusMonths(i);
      String name = "%s_p%d_%02d".formatted(parent, from.getYear(), from.getMonthValue());
      names.add(name);
      ddl.add(
          "CREATE TABLE %s PARTITION OF %s FOR VALUES FROM ('%s') TO ('%s')"
              .formatted(name, parent, from, from.plusMonths(1)));
    }
    execute(url, ddl);
    return names;
  }

  private void foreignKey(String partition, String columns, String parent) throws Exception {
    execute(
        url,
        List.of(
            "ALTER TABLE %s ADD FOREIGN KEY (%s) REFERENCES %s"
                .formatted(partition, columns, parent)));
  }

  private Mapping read(List<String> tables, List<String> relations) throws Exception {
    try (Connection c = connect(url)) {
      CatalogReader reader = new CatalogReader(c);
      try {
        return reader.read(tables, relations.stream().map(RelationSpec::parse).toList());
      } finally {
        warnings.addAll(reader.warnings());
      }
    }
  }

  private static ColumnMapping col(TableMapping t, String column) {
    return t.columns().stream().filter(c -> c.column().equals(column)).findFirst().orElseThrow();
  }

  @Test
  void aKeyEveryPartitionDeclaresIsTheParentsRelation() throws Exception {
    for (String p : pagila(3)) {
      foreignKey(p, "customer_id", "customer");
    }
    Mapping m = read(List.of("customer", "payment"), List.of());

    TableMapping payment = m.byTarget("payment").orElseThrow();
    assertThat(payment.relations())
        .containsExactly(
            new RelationMapping("customerId", List.of("customer_id"), "customer", false));
    assertThat(SchemaTsWriter.write(m))
        .contains("customerId: v.id(\"customer\")")
        .contains(".index(\"by_customerId\", [\"customerId\"])");
    assertThat(warnings).noneMatch(w -> w.contains("foreign key"));
  }

  @Test
  void aKeyNotAllPartitionsDeclareAlikeIsReportedWithTheRelationOption() throws Exception {
    List<String> partitions = pagila(3);
    foreignKey(partitions.get(0), "customer_id", "customer");
    // they disagree on staff_id: two say staff, one says customer
    foreignKey(partitions.get(0), "staff_id", "staff");
    foreignKey(partitions.get(1), "staff_id", "staff");
    foreignKey(partitions.get(2), "staff_id", "customer");
    Mapping m = read(List.of("customer", "staff", "payment"), List.of());

    TableMapping payment = m.byTarget("payment").orElseThrow();
    assertThat(payment.relations()).isEmpty();
    assertThat(col(payment, "customer_id").type()).isEqualTo(FieldType.NUMBER);
    assertThat(warnings)
        .contains(
            "foreign key public.payment(customer_id) is declared on partitions only, and not"
                + " alike on all 3 (public.customer(customer_id) on 1): it is not taken as a"
                + " relation and the column(s) are copied as plain values; if every row holds it,"
                + " declare it with --relation payment.customer_id->customer")
        .anyMatch(
            w ->
                w.startsWith("foreign key public.payment(staff_id)")
                    && w.contains("public.staff(staff_id) on 2, public.customer(customer_id) on 1")
                    && w.endsWith("--relation payment.staff_id->staff"));

    // the suggested option settles it, and the warning goes
    warnings.clear();
    m = read(List.of("customer", "staff", "payment"), List.of("payment.customer_id->customer"));
    assertThat(m.byTarget("payment").orElseThrow().relations())
        .containsExactly(
            new RelationMapping("customerId", List.of("customer_id"), "customer", false));
    assertThat(warnings)
        .noneMatch(w -> w.contains("payment(customer_id)"))
        .anyMatch(w -> w.contains("payment(staff_id)"));
  }

  @Test
  void manyListedPartitionsGiveOneWarningPerPartitionedTable() throws Exception {
    List<String> tables = new ArrayList<>(pagila(55));
    execute(
        url,
        List.of(
            "CREATE TABLE rental (rental_id int, rental_date date,"
                + " PRIMARY KEY (rental_date, rental_id)) PARTITION BY RANGE (rental_date)"));
    tables.addAll(monthly("rental", 3));
    tables.add("payment"); // the table itself too, as a catalog listing has it
    Mapping m = read(tables, List.of());

    assertThat(m.tables()).extracting(TableMapping::target).containsExactly("payment", "rental");
    assertThat(warnings.stream().filter(w -> w.contains("partition")))
        .containsExactly(
            "table public.payment: 55 partitions mapped to one table"
                + " (payment_p2022_01 ... payment_p2026_07); the whole table is captured, not just"
                + " the listed partitions",
            "table public.rental: 3 partitions mapped to one table"
                + " (rental_p2022_01 ... rental_p2022_03); the whole table is captured, not just"
                + " the listed partitions");
  }

  @Test
  void fullTextAndOtherNonValueIndexesGetNoConvexIndex() throws Exception {
    url = SharedStack.freshDatabase("pagila");
    execute(
        url,
        List.of(
            "CREATE TABLE film (film_id int PRIMARY KEY, title text NOT NULL, tags text[],"
                + " fulltext tsvector NOT NULL)",
            "CREATE INDEX film_fulltext_idx ON film USING gist (fulltext)",
            "CREATE INDEX film_fulltext_gin ON film USING gin (fulltext)",
            "CREATE INDEX film_title_fts ON film USING gin (to_tsvector('english', title))",
            "CREATE INDEX film_tags_idx ON film USING gin (tags)",
            "CREATE INDEX film_title_idx ON film (title)"));
    Mapping m = read(List.of("film"), List.of());

    TableMapping film = m.tables().get(0);
    assertThat(col(film, "fulltext").type()).isEqualTo(FieldType.STRING);
    assertThat(film.indexes())
        .containsExactly(
            Map.entry("by_filmId", List.of("filmId")), Map.entry("by_title", List.of("title")));
    assertThat(SchemaTsWriter.write(m)).doesNotContain("by_fulltext").doesNotContain("by_tags");
    for (String fullText : List.of("film_fulltext_idx", "film_fulltext_gin", "film_title_fts")) {
      assertThat(warnings)
          .as(fullText)
          .anyMatch(
              w ->
                  w.startsWith("index public." + fullText + " on public.film is not translated:")
                      && w.contains("full-text (tsvector) index")
                      && w.contains(".searchIndex(\"search_<field>\""));
    }
    assertThat(warnings)
        .anyMatch(
            w ->
                w.startsWith("index public.film_tags_idx on public.film is not translated:")
                    && w.contains("access method gin has no Convex counterpart"));
  }
}
