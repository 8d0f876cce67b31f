package dev.pgconvex.cli.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pgconvex.cli.pipeline.Pipeline;
import dev.pgconvex.cli.pipeline.Pipeline.Stage;
import dev.pgconvex.cli.verify.SyncResult;
import dev.pgconvex.cli.verify.SyncWaiter;
import dev.pgconvex.common.config.Config;
import dev.pgconvex.transformer.Transformer;
import dev.pgconvex.transformer.TransformerConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A Pagila-like catalog on the real stack: a NOT NULL foreign-key cycle (store.manager_staff_id and
 * staff.store_id), a self reference (staff.reports_to), composite keys and a composite foreign key
 * (inventory to film_store), with two transformer instances sharing the partitions. Convex ends
 * equal to Postgres by content, every reference holding the right document id.
 */
@Timeout(300)
class PagilaIT {
  private static final List<String> TABLES =
      List.of("store", "staff", "film", "film_store", "inventory", "rental");

  @Test
  void cycleSelfReferenceAndCompositeKeysResolveWithTwoTransformerInstances() throws Exception {
    try (Pipeline p = new Pipeline(ItSupport.sharedSettings("pagila", TABLES, List.of()))) {
      p.startInfrastructure();
      try (Connection db = p.connect();
          Statement st = db.createStatement()) {
        st.execute(
            "CREATE TABLE store (store_id int PRIMARY KEY, manager_staff_id int NOT NULL,"
                + " address text NOT NULL)");
        st.execute(
            "CREATE TABLE staff (staff_id int PRIMARY KEY, store_id int NOT NULL REFERENCES store,"
                + " reports_to int REFERENCES staff, name text NOT NULL)");
        st.execute(
            "ALTER TABLE store ADD FOREIGN KEY (manager_staff_id) REFERENCES staff"
                + " DEFERRABLE INITIALLY DEFERRED");
        st.execute("CREATE TABLE film (film_id int PRIMARY KEY, title text NOT NULL, rating text)");
        st.execute(
            "CREATE TABLE film_store (film_id int REFERENCES film, store_id int REFERENCES store,"
                + " copies int NOT NULL, PRIMARY KEY (film_id, store_id))");
        st.execute(
            "CREATE TABLE inventory (inventory_id int PRIMARY KEY, film_id int NOT NULL,"
                + " store_id int NOT NULL, FOREIGN KEY (film_id, store_id) REFERENCES film_store)");
        st.execute(
            "CREATE TABLE rental (inventory_id int REFERENCES inventory, rented_on date,"
                + " staff_id int NOT NULL REFERENCES staff, PRIMARY KEY (inventory_id, rented_on))");
        load(db, 0, 4); // snapshot
        p.startServices();
        try (Transformer second = secondTransformer(p)) {
          second.start();
          load(db, 4, 8); // streaming, with both instances running
          try (Statement s2 = db.createStatement()) {
            s2.executeUpdate(
                "UPDATE staff SET reports_to = NULL WHERE staff_id = 11"); // reference to NULL
            s2.executeUpdate("UPDATE staff SET store_id = 2 WHERE staff_id = 12"); // re-parenting
            s2.executeUpdate("DELETE FROM rental WHERE inventory_id = 100");
          }
          SyncResult r =
              new SyncWaiter(p)
                  .await(Duration.ofSeconds(180), System.nanoTime(), p.currentWalLsn());
          assertThat(r.synced()).as(r.toJson().toString()).isTrue();
          assertThat(r.tables().get("store").convexDocs()).isEqualTo(8);
          assertThat(r.tables().get("rental").convexDocs()).isPositive();
        }
      }
    }
  }

  /**
   * Stores [from, to): each store with its manager (cycle), staff reporting to the manager, films,
   * stock.
   */
  private static void load(Connection db, int from, int to) throws Exception {
    db.setAutoCommit(false);
    try (Statement st = db.createStatement()) {
      for (int s = from + 1; s <= to; s++) {
        int manager = s * 10;
        st.execute("INSERT INTO store VALUES (" + s + ", " + manager + ", 'Street " + s + "')");
        st.execute(
            "INSERT INTO staff VALUES ("
                + manager
                + ", "
                + s
                + ", "
                + manager
                + ", 'Boss "
                + s
                + "')");
        for (int k = 1; k <= 3; k++) {
          st.execute(
              "INSERT INTO staff VALUES ("
                  + (manager + k)
                  + ", "
                  + s
                  + ", "
                  + manager
                  + ", 'Clerk "
                  + s
                  + "."
                  + k
                  + "')");
        }
        db.commit(); // the deferred constraint closes the cycle at commit
        st.execute(
            "INSERT INTO film VALUES ("
                + s
                + ", 'Film "
                + s
                + "', "
                + (s % 2 == 0 ? "'PG'" : "NULL")
                + ") ON CONFLICT DO NOTHING");
        st.execute("INSERT INTO film_store VALUES (" + s + ", " + s + ", " + (s + 1) + ")");
        st.execute("INSERT INTO inventory VALUES (" + (s * 100) + ", " + s + ", " + s + ")");
        st.execute(
            "INSERT INTO rental VALUES ("
                + (s * 100)
                + ", DATE '2024-01-0"
                + (1 + s % 9)
                + "', "
                + (manager + 1)
                + ")");
        st.execute(
            "INSERT INTO rental VALUES ("
                + (s * 100)
                + ", DATE '2024-02-0"
                + (1 + s % 9)
                + "', "
                + manager
                + ")");
        db.commit();
      }
    } finally {
      db.setAutoCommit(true);
    }
  }

  private static Transformer secondTransformer(Pipeline p) {
    Map<String, String> props = new HashMap<>(p.properties(Stage.TRANSFORMER));
    props.put(
        TransformerConfig.STATE_DIR,
        Path.of("target", "it", "pagila-second-" + System.nanoTime()).toAbsolutePath().toString());
    Config config = TransformerConfig.definition().parse(props);
    return new Transformer(config, new SimpleMeterRegistry(), p.mapping());
  }
}
