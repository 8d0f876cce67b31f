package dev.pgconvex.cutover;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class FreezeSqlTest {
  @Test
  void locksEveryTableInOneStatementWithQuotedNames() {
    assertThat(
            FreezeSql.lockTables(
                List.of(
                    new QualifiedTable("public", "users"),
                    new QualifiedTable("Sales", "order \"lines\""))))
        .isEqualTo(
            "LOCK TABLE \"public\".\"users\", \"Sales\".\"order \"\"lines\"\"\" IN EXCLUSIVE MODE");
    assertThat(FreezeSql.lockTimeout(Duration.ofSeconds(5)))
        .isEqualTo("SET LOCAL lock_timeout = '5000ms'");
    assertThat(FreezeSql.lockTimeout(Duration.ZERO)).isEqualTo("SET LOCAL lock_timeout = '1ms'");
    assertThatThrownBy(() -> FreezeSql.lockTables(List.of()))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void readOnlyTargetsTheRoleInTheDatabaseOrTheDatabaseAndIsMarked() {
    FreezeSql.Target role = new FreezeSql.Target("app", "web");
    assertThat(FreezeSql.readOnlyOn(role, "c-1'x"))
        .containsExactly(
            "ALTER ROLE \"web\" IN DATABASE \"app\" SET default_transaction_read_only = on",
            "ALTER ROLE \"web\" IN DATABASE \"app\" SET pgconvex.cutover_freeze = 'c-1''x'");
    assertThat(FreezeSql.readOnlyOff(role))
        .containsExactly(
            "ALTER ROLE \"web\" IN DATABASE \"app\" RESET default_transaction_read_only",
            "ALTER ROLE \"web\" IN DATABASE \"app\" RESET pgconvex.cutover_freeze");
    FreezeSql.Target db = new FreezeSql.Target("app", null);
    assertThat(FreezeSql.readOnlyOn(db, "c").get(0))
        .isEqualTo("ALTER DATABASE \"app\" SET default_transaction_read_only = on");
    assertThat(db.describe()).isEqualTo("database app");
    assertThat(role.describe()).isEqualTo("role web in database app");
  }

  @Test
  void sessionsEndedAreTheTargetsOnlyNeverThePipelinesOrOurs() {
    FreezeSql.Target role = new FreezeSql.Target("app", "web");
    String writers = FreezeSql.openWriters(role);
    assertThat(writers)
        .contains("datname = 'app'")
        .contains("usename = 'web'")
        .contains("backend_xid IS NOT NULL")
        .contains("pid <> pg_backend_pid()")
        .contains("backend_type = 'client backend'")
        .contains("NOT LIKE 'pgconvex%'");
    assertThat(FreezeSql.terminate(role, null)).doesNotContain("state = 'idle'");
    assertThat(FreezeSql.terminate(role, 1_700_000_000_500L))
        .contains("state = 'idle'")
        .contains("backend_start >= to_timestamp(1.7000000005E9)");
    assertThat(FreezeSql.terminate(new FreezeSql.Target("app", null), null))
        .doesNotContain("usename");
  }

  @Test
  void modesParseFromTheirWords() {
    assertThat(FreezeMode.parse("read-only")).isEqualTo(FreezeMode.READ_ONLY);
    assertThat(FreezeMode.parse("LOCK")).isEqualTo(FreezeMode.LOCK);
    assertThat(VerifyMode.parse("changed")).isEqualTo(VerifyMode.CHANGED);
    assertThatThrownBy(() -> FreezeMode.parse("stop"))
        .hasMessageContaining("lock, read-only or none");
  }
}
