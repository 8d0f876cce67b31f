package dev.pgconvex.source.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class PgJdbcUrlTest {
  @Test
  void parsesHostPortDatabaseAndParams() {
    PgJdbcUrl u = PgJdbcUrl.parse("jdbc:postgresql://localhost:5432/app?sslmode=disable&x=1");
    assertThat(u.host()).isEqualTo("localhost");
    assertThat(u.port()).isEqualTo(5432);
    assertThat(u.database()).isEqualTo("app");
    assertThat(u.params()).containsEntry("sslmode", "disable").containsEntry("x", "1");
  }

  @Test
  void defaultPortAndIpv6() {
    assertThat(PgJdbcUrl.parse("jdbc:postgresql://db/app").port()).isEqualTo(5432);
    PgJdbcUrl v6 = PgJdbcUrl.parse("jdbc:postgresql://[::1]:6543/app");
    assertThat(v6.host()).isEqualTo("::1");
    assertThat(v6.port()).isEqualTo(6543);
  }

  @Test
  void rejectsOtherForms() {
    for (String bad :
        List.of(
            "postgresql://localhost/app",
            "jdbc:postgresql://localhost:5432/",
            "jdbc:postgresql://a:1,b:2/app",
            "jdbc:postgresql://localhost:99999/app",
            "jdbc:mysql://localhost/app")) {
      assertThatThrownBy(() -> PgJdbcUrl.parse(bad)).isInstanceOf(IllegalArgumentException.class);
    }
  }
}
