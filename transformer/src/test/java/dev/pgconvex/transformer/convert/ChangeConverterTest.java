package dev.pgconvex.transformer.convert;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pgconvex.common.json.Json;
import dev.pgconvex.common.mapping.ColumnMapping;
import dev.pgconvex.common.mapping.FieldType;
import dev.pgconvex.common.mapping.RelationMapping;
import dev.pgconvex.common.mapping.TableMapping;
import dev.pgconvex.common.model.Operation;
import dev.pgconvex.common.model.Position;
import dev.pgconvex.transformer.internals.RowChange;
import dev.pgconvex.transformer.internals.RowChange.RefChange;
import java.util.List;
import org.junit.jupiter.api.Test;

class ChangeConverterTest {
  private final ChangeConverter converter =
      new ChangeConverter(
          new TableMapping(
              "public",
              "line_items",
              "lineItems",
              List.of("order_id", "line_no"),
              List.of(
                  ColumnMapping.of("order_id", "orderNo", "integer", FieldType.NUMBER, false),
                  ColumnMapping.of("line_no", "lineNo", "integer", FieldType.NUMBER, false),
                  ColumnMapping.of("note", "note", "text", FieldType.STRING, true),
                  ColumnMapping.of("data", "data", "bytea", FieldType.BYTES, true)),
              List.of(
                  new RelationMapping("orderId", List.of("order_id"), "orders", false),
                  new RelationMapping("skuId", List.of("sku_a", "sku_b"), "skus", true))));

  private static String env(String op, String before, String after) {
    return "{\"before\":"
        + before
        + ",\"after\":"
        + after
        + ",\"source\":{\"lsn\":4096,\"txId\":77,\"ts_ms\":1000,\"snapshot\":\"false\"},\"op\":\""
        + op
        + "\",\"ts_ms\":2000,\"transaction\":{\"id\":\"77:4096\",\"total_order\":9,"
        + "\"data_collection_order\":2}}";
  }

  @Test
  void createConvertsFieldsRefsAndMetadata() throws Exception {
    RowChange c =
        converter.convert(
            "{\"order_id\":1,\"line_no\":2}",
            env(
                "c",
                "null",
                "{\"order_id\":1,\"line_no\":2,\"note\":null,\"data\":null,\"sku_a\":\"x\",\"sku_b\":3}"));
    assertThat(c.ref()).isEqualTo("lineItems/[1,2]");
    assertThat(c.kind()).isEqualTo(Operation.Kind.UPSERT);
    assertThat(c.position()).isEqualTo(Position.of(4096, 2));
    assertThat(c.commitTs()).isEqualTo(1000);
    assertThat(c.txId()).isEqualTo(77);
    assertThat(c.doc()).isEqualTo(Json.parse("{\"orderNo\":1,\"lineNo\":2}"));
    assertThat(c.refs())
        .containsExactly(
            new RefChange("orderId", "orders/[1]", false),
            new RefChange("skuId", "skus/[\"x\",3]", true));
  }

  @Test
  void nullForeignKeyColumnGivesNoParent() throws Exception {
    RowChange c =
        converter.convert(
            null,
            env(
                "u",
                "null",
                "{\"order_id\":1,\"line_no\":2,\"note\":null,\"data\":null,\"sku_a\":\"x\","
                    + "\"sku_b\":null}"));
    assertThat(c.refs()).contains(new RefChange("skuId", null, true));
  }

  @Test
  void toastedBytesMakeAPatch() throws Exception {
    RowChange c =
        converter.convert(
            null,
            env(
                "u",
                "null",
                "{\"order_id\":1,\"line_no\":2,\"note\":\"n\",\"data\":\""
                    + ValueConverter.TOAST_PLACEHOLDER_BASE64
                    + "\",\"sku_a\":null,\"sku_b\":null}"));
    assertThat(c.kind()).isEqualTo(Operation.Kind.PATCH);
    assertThat(c.doc().has("data")).isFalse();
    assertThat(c.doc().get("note").asText()).isEqualTo("n");
  }

  @Test
  void deleteTakesTheKeyFromBeforeAndTombstoneIsNothing() throws Exception {
    RowChange c = converter.convert(null, env("d", "{\"order_id\":3,\"line_no\":4}", "null"));
    assertThat(c.kind()).isEqualTo(Operation.Kind.DELETE);
    assertThat(c.ref()).isEqualTo("lineItems/[3,4]");
    assertThat(converter.convert("{\"order_id\":3,\"line_no\":4}", null)).isNull();
  }

  @Test
  void aMappedColumnGoneOrRetypedIsSchemaDriftNotABadRow() {
    // RENAME note TO remark: the image lacks note and has remark.
    assertThatThrownBy(
            () ->
                converter.convert(
                    null,
                    env(
                        "u",
                        "null",
                        "{\"order_id\":1,\"line_no\":2,\"remark\":\"r\",\"data\":null,"
                            + "\"sku_a\":null,\"sku_b\":null}")))
        .isInstanceOfSatisfying(
            SchemaDriftException.class,
            e -> {
              assertThat(e.code()).isEqualTo(SchemaDriftException.CODE);
              assertThat(e.missing()).containsExactly("note");
              assertThat(e.added()).containsExactly("remark");
              assertThat(e.getMessage())
                  .startsWith("public.line_items: `note` gone and `remark` added: renamed?");
            });
    // ALTER COLUMN line_no TYPE text: a text value where a number is mapped.
    assertThatThrownBy(
            () ->
                converter.convert(
                    null,
                    env(
                        "u",
                        "null",
                        "{\"order_id\":1,\"line_no\":\"two\",\"note\":null,\"data\":null,"
                            + "\"sku_a\":null,\"sku_b\":null}")))
        .isInstanceOfSatisfying(
            SchemaDriftException.class, e -> assertThat(e.retyped()).containsKey("line_no"));
  }

  @Test
  void unknownOpAndTruncateAreRowErrors() {
    assertThatThrownBy(() -> converter.convert(null, env("m", "null", "null")))
        .isInstanceOf(ConversionException.class)
        .hasMessageContaining("unsupported change event op 'm'");
    assertThatThrownBy(() -> converter.convert(null, env("t", "null", "null")))
        .hasMessageStartingWith("truncate of public.line_items is not mirrored; run a resync");
  }

  // users(id, score) after ALTER COLUMN score TYPE text, widened by ./cdc schema evolve
  private static final ChangeConverter RETYPED =
      new ChangeConverter(
          new TableMapping(
                  "public",
                  "users",
                  "users",
                  List.of("id"),
                  List.of(
                      ColumnMapping.of("id", "id", "integer", FieldType.NUMBER, false),
                      ColumnMapping.of("score", "score", "text", FieldType.STRING, false)),
                  List.of())
              .withColumns(
                  List.of(
                      ColumnMapping.of("id", "id", "integer", FieldType.NUMBER, false),
                      ColumnMapping.of("score", "score", "text", FieldType.STRING, false)),
                  new dev.pgconvex.common.mapping.Widening(
                      "m1",
                      List.of("score"),
                      List.of(
                          ColumnMapping.of(
                              "score", "score", "integer", FieldType.NUMBER, false)))));

  @Test
  void aWidenedRetypeTakesValuesOfTheNewTypeAndOfTheOldOne() throws Exception {
    assertThat(
            RETYPED.convert("{\"id\":1}", env("u", "null", "{\"id\":1,\"score\":\"high\"}")).doc())
        .isEqualTo(Json.parse("{\"id\":1,\"score\":\"high\"}"));
    // an event from before the DDL still carries the number: the retired column converts it
    assertThat(RETYPED.convert("{\"id\":2}", env("u", "null", "{\"id\":2,\"score\":7}")).doc())
        .isEqualTo(Json.parse("{\"id\":2,\"score\":7}"));
  }
}
