package dev.pgconvex.schema;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgconvex.stack.testing.SharedStack;
import java.sql.Connection;
import java.sql.Statement;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TableDiscoveryIT {
  @Test
  void takesEveryTableOfTheSchemaAndSaysWhyTheRestIsLeftOut() throws Exception {
    String url = SharedStack.freshDatabase("discovery");
    try (Connection c = SharedStack.postgres().connect(url.substring(url.lastIndexOf('/') + 1));
        Statement st = c.createStatement()) {
      st.execute("CREATE TABLE users (id int PRIMARY KEY)");
      st.execute("CREATE TABLE audit (at timestamptz)");
      st.execute("CREATE TABLE keyed (a int, b int)");
      st.execute("CREATE TABLE sale (id int, d date, PRIMARY KEY (id, d)) PARTITION BY RANGE (d)");
      st.execute(
          "CREATE TABLE sale_1 PARTITION OF sale FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')");
      st.execute(
          "CREATE TABLE sale_2 PARTITION OF sale FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')");
      st.execute("CREATE VIEW active_users AS SELECT * FROM users");
      st.execute("CREATE TABLE pgconvex_heartbeat (id int PRIMARY KEY, ts timestamptz)");
      st.execute("CREATE TABLE scratch (id int PRIMARY KEY)");
      st.execute("CREATE SCHEMA other");
      st.execute("CREATE TABLE other.elsewhere (id int PRIMARY KEY)");

      TableDiscovery.Result r =
          TableDiscovery.discover(c, "public", Set.of("scratch"), Set.of("public.keyed"));

      assertThat(r.tables()).containsExactly("public.keyed", "public.sale", "public.users");
      assertThat(r.skipped())
          .containsExactlyInAnyOrder(
              "public.active_users: a view, not a table",
              "public.audit: no primary key; add one, or name its key columns (--key"
                  + " audit=col1,col2, key: [...] in the mapping file or"
                  + " source.key.columns=public.audit:col1+col2, with REPLICA IDENTITY FULL)",
              "public.pgconvex_heartbeat: the pipeline's own table",
              "public.scratch: excluded (--exclude-tables, or include: false in the mapping file)",
              "2 partitions of public.sale: captured through public.sale");
      assertThat(TableDiscovery.discover(c, "other", Set.of(), Set.of()).tables())
          .containsExactly("other.elsewhere");
    }
  }
}
