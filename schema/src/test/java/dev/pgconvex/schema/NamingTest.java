package dev.pgconvex.schema;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class NamingTest {
  @Test
  void snakeCaseBecomesCamelCase() {
    assertThat(Naming.camel("created_at")).isEqualTo("createdAt");
    assertThat(Naming.camel("clerk_user_id")).isEqualTo("clerkUserId");
    assertThat(Naming.camel("createdAt")).isEqualTo("createdAt");
    assertThat(Naming.camel("order_items")).isEqualTo("orderItems");
  }

  @Test
  void illegalNamesAreRenamedWithAWarning() {
    List<String> warnings = new ArrayList<>();
    assertThat(Naming.legal("_secret", "column t._secret", warnings)).isEqualTo("secret");
    assertThat(Naming.legal("x".repeat(70), "column t.x", warnings)).hasSize(64);
    assertThat(Naming.legal("fine", "column t.fine", warnings)).isEqualTo("fine");
    assertThat(warnings).hasSize(2).allMatch(w -> w.contains("renamed"));
  }

  @Test
  void relationSpecsParse() {
    RelationSpec r = RelationSpec.parse("threads.user_id->users");
    assertThat(r)
        .isEqualTo(new RelationSpec("public", "threads", List.of("user_id"), "public", "users"));
    assertThat(RelationSpec.parse("app.lines.order_id+region->app.orders").columns())
        .containsExactly("order_id", "region");
    for (String text : List.of("threads.user_id->users", "app.lines.order_id+region->app.orders")) {
      assertThat(RelationSpec.parse(text).text()).isEqualTo(text);
    }
    assertThatThrownBy(() -> RelationSpec.parse("threads.user_id=users"))
        .hasMessageContaining("threads.user_id->users");
  }
}
