package dev.pgconvex.soak;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HexFormat;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The soak's mixed write load on {@link SoakSchema}'s tables, on a thread of its own at a steady
 * rate: inserts, updates, deletes, primary-key changes, re-parenting, updates that leave a TOASTed
 * value unchanged and ones that rewrite it, children committed before their parent (which a later
 * transaction inserts), and the NOT NULL foreign-key cycle written in one transaction.
 *
 * <p>It keeps no state of its own that must match the database: every row it changes is picked by a
 * query, so a transaction whose commit was lost to a Postgres restart (committed or not, the client
 * cannot tell) leaves nothing inconsistent. It reconnects after any SQL error. The mirror is
 * compared with the database afterwards, so the load needs no record of what it wrote; it counts
 * the changes of the transactions known committed.
 *
 * <p>Lifecycle: {@link #seed(int)} before the pipeline starts, then {@link #start()} and {@link
 * #pause()} per round, {@link #settle()} while paused; not reusable across threads except the
 * counters.
 */
public final class SoakLoad implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SoakLoad.class);
  private static final int BIO_BYTES = 3000; // above the 2 KB TOAST threshold

  /** Opens a connection to the source database. */
  @FunctionalInterface
  public interface Connector {
    Connection open() throws SQLException;
  }

  private final Connector connector;
  private final SplittableRandom random;
  private final int changesPerSecond;
  private final AtomicLong changes = new AtomicLong();
  private final AtomicLong errors = new AtomicLong();
  private final AtomicBoolean running = new AtomicBoolean();
  private volatile String lastError;
  private Connection connection;
  private Thread thread;

  /**
   * @param connector opens connections (again after a restart of Postgres)
   * @param seed seeds the mix
   * @param changesPerSecond the target rate while running, at least 1
   */
  public SoakLoad(Connector connector, long seed, int changesPerSecond) {
    this.connector = connector;
    this.random = new SplittableRandom(seed);
    this.changesPerSecond = Math.max(1, changesPerSecond);
  }

  /** Inserts {@code accounts} accounts with projects, tasks and teams, for the snapshot. */
  public void seed(int accounts) throws SQLException {
    Connection c = connection();
    c.setAutoCommit(false);
    for (int i = 0; i < accounts; i++) {
      long a = insertAccount(c, nextId(c));
      for (int p = 0; p < 2; p++) {
        long pr = insertProject(c, a);
        for (int t = 0; t < 3; t++) {
          insertTask(c, pr);
        }
      }
      if (i % 5 == 0) {
        insertTeam(c);
      }
    }
    c.commit();
  }

  /** Starts (or resumes) writing on a thread of its own. */
  public synchronized void start() {
    if (running.getAndSet(true)) {
      return;
    }
    thread = new Thread(this::loop, "pgconvex-soak-load");
    thread.setDaemon(true);
    thread.start();
  }

  /** Stops writing and waits for the transaction in progress to end. */
  public synchronized void pause() throws InterruptedException {
    running.set(false);
    if (thread != null) {
      thread.join(120_000);
      if (thread.isAlive()) {
        throw new IllegalStateException("the soak load did not stop within 120 s");
      }
      thread = null;
    }
  }

  /**
   * While paused: inserts the parent of every child still waiting for one, so that nothing waits
   * forever (an orphan whose adoption was lost with a commit). The inserted rows count as changes.
   *
   * @throws SQLException when Postgres is not reachable even after retries
   */
  public void settle() throws SQLException, InterruptedException {
    SQLException last = null;
    for (int attempt = 0; attempt < 30; attempt++) {
      try {
        Connection c = connection();
        c.setAutoCommit(false);
        int n = adoptOrphans(c, Integer.MAX_VALUE);
        n += adoptOrphanTasks(c);
        c.commit();
        changes.addAndGet(n);
        return;
      } catch (SQLException e) {
        last = e;
        dropConnection();
        Thread.sleep(1000); // Postgres restarting: try again
      }
    }
    throw last;
  }

  /** Row changes of the transactions known committed, since construction. */
  public long changes() {
    return changes.get();
  }

  /** Transactions that failed (and were retried with other rows) since construction. */
  public long errors() {
    return errors.get();
  }

  /** The last SQL error's message, or null. */
  public String lastError() {
    return lastError;
  }

  private void loop() {
    long t0 = System.nanoTime();
    long done = 0;
    while (running.get()) {
      try {
        Connection c = connection();
        c.setAutoCommit(false);
        int n = step(c);
        c.commit();
        changes.addAndGet(n);
        done += n;
      } catch (SQLException e) {
        errors.incrementAndGet();
        lastError = e.getMessage();
        log.debug("Soak load transaction failed: {}", e.toString());
        dropConnection();
        LockSupport.parkNanos(500_000_000L); // Postgres away: do not spin
      }
      // The pace: at most changesPerSecond on average since the round's start.
      long due = t0 + done * 1_000_000_000L / changesPerSecond;
      long wait = due - System.nanoTime();
      if (wait > 0) {
        LockSupport.parkNanos(wait);
      }
    }
  }

  // One transaction: a handful of operations drawn from the mix; returns the rows changed.
  private int step(Connection c) throws SQLException {
    int n = 0;
    int ops = 4 + random.nextInt(8);
    for (int i = 0; i < ops; i++) {
      int pick = random.nextInt(100);
      if (pick < 10) {
        insertAccount(c, nextId(c));
        n++;
      } else if (pick < 18) {
        n += project(c);
      } else if (pick < 22) {
        // a child committed before its parent: the account id is taken, its row comes later
        insertProject(c, nextId(c));
        n++;
      } else if (pick < 25) {
        n += adoptOrphans(c, 2);
      } else if (pick < 38) {
        n += task(c);
      } else if (pick < 48) {
        n +=
            exec(
                c,
                "UPDATE soak_tasks SET state = ?, n = n + 1 WHERE code = ?",
                state(),
                pickTask(c));
      } else if (pick < 54) {
        // primary-key change: Debezium sends a delete of the old key and a create of the new one
        n += exec(c, "UPDATE soak_tasks SET code = ? WHERE code = ?", newCode(c), pickTask(c));
      } else if (pick < 60) {
        n +=
            exec(
                c,
                "UPDATE soak_tasks SET project_id = ? WHERE code = ?",
                pickId(c, "soak_projects"),
                pickTask(c));
      } else if (pick < 65) {
        n +=
            exec(
                c,
                "UPDATE soak_projects SET account_id = ?, revision = revision + 1 WHERE id = ?",
                pickId(c, "soak_accounts"),
                pickId(c, "soak_projects"));
      } else if (pick < 74) {
        // the TOASTed bio left unchanged: the change carries the placeholder, the mirror a patch
        n +=
            exec(
                c,
                "UPDATE soak_accounts SET revision = revision + 1 WHERE id = ?",
                pickId(c, "soak_accounts"));
      } else if (pick < 77) {
        n +=
            exec(
                c,
                "UPDATE soak_accounts SET bio = ?, revision = revision + 1 WHERE id = ?",
                bio(),
                pickId(c, "soak_accounts"));
      } else if (pick < 84) {
        n += exec(c, "DELETE FROM soak_tasks WHERE code = ?", pickTask(c));
      } else if (pick < 87) {
        n += deleteProject(c);
      } else if (pick < 89) {
        n +=
            exec(
                c,
                "DELETE FROM soak_accounts WHERE id = (SELECT a.id FROM soak_accounts a WHERE a.id >= ? AND NOT EXISTS (SELECT 1 FROM soak_projects p WHERE p.account_id = a.id) ORDER BY a.id LIMIT 1)",
                randomId(c));
      } else if (pick < 93) {
        insertTeam(c);
        n += 2;
      } else if (pick < 97) {
        n += changeLead(c);
      } else {
        n += deleteTeam(c);
      }
    }
    return n;
  }

  private int project(Connection c) throws SQLException {
    Long a = pickId(c, "soak_accounts");
    if (a == null) {
      return 0;
    }
    insertProject(c, a);
    return 1;
  }

  private int task(Connection c) throws SQLException {
    Long p = pickId(c, "soak_projects");
    if (p == null) {
      return 0;
    }
    insertTask(c, p);
    return 1;
  }

  private long insertAccount(Connection c, long id) throws SQLException {
    exec(
        c,
        "INSERT INTO soak_accounts (id, name, bio) VALUES (?, ?, ?)",
        id,
        "account " + id,
        bio());
    return id;
  }

  private long insertProject(Connection c, long account) throws SQLException {
    long id = nextId(c);
    exec(
        c,
        "INSERT INTO soak_projects (id, account_id, title) VALUES (?, ?, ?)",
        id,
        account,
        "project " + id);
    return id;
  }

  private void insertTask(Connection c, long project) throws SQLException {
    exec(
        c,
        "INSERT INTO soak_tasks (code, project_id, state, n) VALUES (?, ?, ?, 0)",
        newCode(c),
        project,
        state());
  }

  // The cycle: a team and its lead, each pointing at the other, NOT NULL both ways.
  private void insertTeam(Connection c) throws SQLException {
    long team = nextId(c);
    long lead = nextId(c);
    exec(
        c,
        "INSERT INTO soak_teams (id, name, lead_id) VALUES (?, ?, ?)",
        team,
        "team " + team,
        lead);
    exec(
        c,
        "INSERT INTO soak_members (id, team_id, name) VALUES (?, ?, ?)",
        lead,
        team,
        "member " + lead);
  }

  private int changeLead(Connection c) throws SQLException {
    Long team = pickId(c, "soak_teams");
    if (team == null) {
      return 0;
    }
    long m = nextId(c);
    exec(
        c, "INSERT INTO soak_members (id, team_id, name) VALUES (?, ?, ?)", m, team, "member " + m);
    return 1 + exec(c, "UPDATE soak_teams SET lead_id = ? WHERE id = ?", m, team);
  }

  private int deleteTeam(Connection c) throws SQLException {
    Long team = pickId(c, "soak_teams");
    if (team == null) {
      return 0;
    }
    return exec(c, "DELETE FROM soak_members WHERE team_id = ?", team)
        + exec(c, "DELETE FROM soak_teams WHERE id = ?", team);
  }

  private int deleteProject(Connection c) throws SQLException {
    Long p = pickId(c, "soak_projects");
    if (p == null) {
      return 0;
    }
    return exec(c, "DELETE FROM soak_tasks WHERE project_id = ?", p)
        + exec(c, "DELETE FROM soak_projects WHERE id = ?", p);
  }

  // Parents for up to `max` projects waiting for their account (the parent that comes later).
  private int adoptOrphans(Connection c, int max) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT INTO soak_accounts (id, name, bio) SELECT o.account_id, 'account ' ||"
                + " o.account_id, repeat(md5(o.account_id::text), 100) FROM (SELECT DISTINCT"
                + " p.account_id FROM soak_projects p WHERE NOT EXISTS (SELECT 1 FROM"
                + " soak_accounts a WHERE a.id = p.account_id) LIMIT ?) o")) {
      ps.setInt(1, max);
      return ps.executeUpdate();
    }
  }

  private static int adoptOrphanTasks(Connection c) throws SQLException {
    // Tasks never point at a missing project by design; a safety net all the same.
    try (Statement st = c.createStatement()) {
      return st.executeUpdate(
          "DELETE FROM soak_tasks t WHERE NOT EXISTS (SELECT 1 FROM soak_projects p WHERE p.id ="
              + " t.project_id)");
    }
  }

  private String pickTask(Connection c) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("SELECT code FROM soak_tasks WHERE code >= ? ORDER BY code LIMIT 1")) {
      ps.setString(1, "t" + random.nextInt(10));
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? rs.getString(1) : "";
      }
    }
  }

  private Long pickId(Connection c, String table) throws SQLException {
    long from = randomId(c);
    for (String sql :
        new String[] {
          "SELECT id FROM " + table + " WHERE id >= ? ORDER BY id LIMIT 1",
          "SELECT id FROM " + table + " WHERE id < ? ORDER BY id DESC LIMIT 1"
        }) {
      try (PreparedStatement ps = c.prepareStatement(sql)) {
        ps.setLong(1, from);
        try (ResultSet rs = ps.executeQuery()) {
          if (rs.next()) {
            return rs.getLong(1);
          }
        }
      }
    }
    return null;
  }

  private long randomId(Connection c) throws SQLException {
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT last_value FROM soak_ids")) {
      rs.next();
      return 1 + random.nextLong(Math.max(1, rs.getLong(1)));
    }
  }

  private static long nextId(Connection c) throws SQLException {
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT nextval('soak_ids')")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private String newCode(Connection c) throws SQLException {
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT nextval('soak_task_codes')")) {
      rs.next();
      return "t" + rs.getLong(1) + "-" + random.nextInt(1000);
    }
  }

  private String state() {
    return new String[] {"todo", "doing", "done", "blocked"}[random.nextInt(4)];
  }

  // Random hex: incompressible enough that the value stays out of line.
  private String bio() {
    byte[] b = new byte[BIO_BYTES / 2];
    random.nextBytes(b);
    return HexFormat.of().formatHex(b);
  }

  private static int exec(Connection c, String sql, Object... args) throws SQLException {
    for (Object a : args) {
      if (a == null || "".equals(a)) {
        return 0; // nothing to pick (an empty table): skip the statement
      }
    }
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; i < args.length; i++) {
        ps.setObject(i + 1, args[i]);
      }
      return ps.executeUpdate();
    }
  }

  private Connection connection() throws SQLException {
    if (connection == null || connection.isClosed()) {
      connection = connector.open();
    }
    return connection;
  }

  private void dropConnection() {
    try {
      if (connection != null) {
        connection.close();
      }
    } catch (SQLException ignored) {
      // already broken
    }
    connection = null;
  }

  @Override
  public void close() throws InterruptedException {
    pause();
    dropConnection();
  }
}
