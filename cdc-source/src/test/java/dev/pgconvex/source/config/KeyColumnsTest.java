package dev.pgconvex.source.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class KeyColumnsTest {
  @Test
  void parsesTablesAndColumnsInOrder() {
    KeyColumns k = KeyColumns.parse(" public.events:tenant_id+seq ; audit.log:id ;");
    assertThat(k.of(new TableId("public", "events"))).containsExactly("tenant_id", "seq");
    assertThat(k.of(new TableId("audit", "log"))).containsExactly("id");
    assertThat(k.of(new TableId("public", "other"))).isEmpty();
    assertThat(k.toDebezium()).isEqualTo("public.events:tenant_id,seq;audit.log:id");
  }

  @Test
  void blankMeansNone() {
    assertThat(KeyColumns.parse("").isEmpty()).isTrue();
    assertThat(KeyColumns.parse("  ").toDebezium()).isEmpty();
  }

  @Test
  void reportsEveryMalformedEntry() {
    assertThatThrownBy(() -> KeyColumns.parse("public.a;b:x;public.c:x+x;public.d:1col;public.e:"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'public.a' has no ':'")
        .hasMessageContaining("'b' is not schema.table")
        .hasMessageContaining("names column 'x' twice")
        .hasMessageContaining("invalid column name '1col'")
        .hasMessageContaining("invalid column name ''");
  }

  @Test
  void tableGivenTwiceIsAProblem() {
    assertThatThrownBy(() -> KeyColumns.parse("public.a:x;public.a:y"))
        .hasMessageContaining("public.a is given twice");
  }

  @Test
  void tableIdForms() {
    TableId t = TableId.parse("public.Orders");
    assertThat(t.quoted()).isEqualTo("\"public\".\"Orders\"");
    assertThat("public.Orders").matches(t.includeRegex());
    assertThat("publicXOrders").doesNotMatch(t.includeRegex());
    for (String bad : List.of("orders", "a.b.c", ".x", "x.", "pub lic.x", "1a.b")) {
      assertThatThrownBy(() -> TableId.parse(bad)).isInstanceOf(IllegalArgumentException.class);
    }
  }
}
