package dev.pgconvex.cli.demo;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The demo schema: the {@code users}/{@code threads}/{@code messages} tables of the Vercel Postgres
 * seed (relations not declared as foreign keys, as in the seed), with sample data and a light write
 * load.
 *
 * <p>Children are deliberately committed before their parents, so foreign-key resolution is
 * exercised. Not thread-safe; the connection is borrowed.
 */
public final class DemoDatabase {
  /** Captured tables, in the order a reader would expect. */
  public static final List<String> TABLES =
      List.of("public.users", "public.threads", "public.messages");

  /** The relations the seed's DDL leaves undeclared, declared here as configuration. */
  public static final List<String> RELATIONS =
      List.of("threads.user_id->users", "messages.thread_id->threads");

  private static final String[] ROLES = {"user", "assistant", "system", "tool"};

  private final Connection connection;
  private final SplittableRandom random;
  private int users;
  private int threads;
  private int messages;

  public DemoDatabase(Connection connection, long seed) {
    this.connection = connection;
    this.random = new SplittableRandom(seed);
  }

  /** Creates the seed tables (dropping earlier ones). */
  public void createSchema() throws SQLException {
    try (Statement st = connection.createStatement()) {
      st.execute("DROP TABLE IF EXISTS messages, threads, users");
      st.execute(
          "CREATE TABLE users (id serial PRIMARY KEY, clerk_user_id varchar(255) NOT NULL,"
              + " email varchar(255) NOT NULL, image varchar(255), credits numeric(10,2) NOT NULL DEFAULT 0,"
              + " \"createdAt\" timestamptz DEFAULT CURRENT_TIMESTAMP)");
      st.execute("CREATE UNIQUE INDEX users_clerk_user_id_key ON users (clerk_user_id)");
      st.execute("CREATE UNIQUE INDEX users_email_key ON users (email)");
      st.execute(
          "CREATE TABLE threads (id serial PRIMARY KEY, user_id int4 NOT NULL,"
              + " clerk_user_id varchar(255) NOT NULL, metadata jsonb,"
              + " \"createdAt\" timestamptz DEFAULT CURRENT_TIMESTAMP)");
      st.execute("CREATE INDEX idx_threads_user_id ON threads (user_id)");
      st.execute(
          "CREATE TABLE messages (id serial PRIMARY KEY, thread_id int4 NOT NULL,"
              + " clerk_user_id varchar(255) NOT NULL, role varchar(50) NOT NULL, content text NOT NULL,"
              + " created_at timestamptz DEFAULT CURRENT_TIMESTAMP, tool_invocations jsonb,"
              + " finish_reason varchar(50), total_tokens int4, prompt_tokens int4, completion_tokens int4,"
              + " model_id varchar(255), cost_in_cents numeric(10,2))");
      st.execute("CREATE INDEX idx_messages_thread_id ON messages (thread_id)");
    }
    users = threads = messages = 0;
  }

  /**
   * Inserts {@code rows} rows spread over the tables (1 user : 3 threads : 6 messages), in chunks
   * whose children are committed before their parents.
   */
  public void load(int rows) throws SQLException {
    int chunk = 1000;
    int done = 0;
    boolean auto = connection.getAutoCommit();
    connection.setAutoCommit(false);
    try {
      while (done < rows) {
        int n = Math.min(chunk, rows - done);
        int u = Math.max(1, n / 10);
        int t = Math.max(1, n * 3 / 10);
        int m = Math.max(0, n - u - t);
        if (n < 3) {
          u = 1;
          t = n > 1 ? 1 : 0;
          m = n - u - t;
        }
        int firstUser = users + 1;
        int firstThread = threads + 1;
        // children first, each in its own transaction: parents do not exist yet when they commit
        insertMessages(m, firstThread, threads + t);
        connection.commit();
        insertThreads(t, firstUser, users + u);
        connection.commit();
        insertUsers(u);
        connection.commit();
        done += n;
      }
      syncSequences();
      connection.commit();
    } finally {
      connection.setAutoCommit(auto);
    }
  }

  /** One step of the live write load: a new message, an edit, and now and then a deletion. */
  public void writeSome() throws SQLException {
    boolean auto = connection.getAutoCommit();
    connection.setAutoCommit(false);
    try {
      if (threads == 0) {
        insertUsers(1);
        insertThreads(1, users, users);
      }
      insertMessages(1, 1, threads);
      try (PreparedStatement ps =
          connection.prepareStatement(
              "UPDATE messages SET content = content || ' (edited)', completion_tokens = ? WHERE id = ?")) {
        ps.setInt(1, random.nextInt(500));
        ps.setInt(2, 1 + random.nextInt(messages));
        ps.executeUpdate();
      }
      if (random.nextInt(10) == 0) {
        try (PreparedStatement ps =
            connection.prepareStatement("DELETE FROM messages WHERE id = ?")) {
          ps.setInt(1, 1 + random.nextInt(messages));
          ps.executeUpdate();
        }
      }
      connection.commit();
    } finally {
      connection.setAutoCommit(auto);
    }
  }

  /**
   * Updates and deletes a share of the existing messages and threads, committed in small
   * transactions.
   */
  public void churn(int updates, int deletes) throws SQLException {
    if (messages == 0) {
      return;
    }
    try (PreparedStatement up =
            connection.prepareStatement(
                "UPDATE messages SET content = content || ' (edited)', finish_reason = 'stop' WHERE id = ?");
        PreparedStatement del = connection.prepareStatement("DELETE FROM messages WHERE id = ?")) {
      for (int i = 0; i < updates; i++) {
        up.setInt(1, 1 + random.nextInt(messages));
        up.addBatch();
      }
      up.executeBatch();
      for (int i = 0; i < deletes; i++) {
        del.setInt(1, 1 + random.nextInt(messages));
        del.addBatch();
      }
      del.executeBatch();
    }
  }

  /** Inserts {@code n} messages into existing threads in one transaction; returns {@code n}. */
  public int insertMessagesNow(int n) throws SQLException {
    boolean auto = connection.getAutoCommit();
    connection.setAutoCommit(false);
    try {
      insertMessages(n, 1, Math.max(1, threads));
      connection.commit();
      return n;
    } finally {
      connection.setAutoCommit(auto);
    }
  }

  private void insertUsers(int n) throws SQLException {
    try (PreparedStatement ps =
        connection.prepareStatement(
            "INSERT INTO users (id, clerk_user_id, email, image, credits, \"createdAt\") VALUES (?, ?, ?, ?, ?, now())")) {
      for (int i = 0; i < n; i++) {
        int id = ++users;
        ps.setInt(1, id);
        ps.setString(2, "user_" + id);
        ps.setString(3, "user" + id + "@example.com");
        ps.setString(4, random.nextBoolean() ? "https://img.example.com/" + id + ".png" : null);
        ps.setBigDecimal(5, java.math.BigDecimal.valueOf(random.nextInt(100_000), 2));
        ps.addBatch();
      }
      ps.executeBatch();
    }
  }

  private void insertThreads(int n, int firstUser, int lastUser) throws SQLException {
    try (PreparedStatement ps =
        connection.prepareStatement(
            "INSERT INTO threads (id, user_id, clerk_user_id, metadata) VALUES (?, ?, ?, ?::jsonb)")) {
      for (int i = 0; i < n; i++) {
        int id = ++threads;
        int user = firstUser + random.nextInt(Math.max(1, lastUser - firstUser + 1));
        ps.setInt(1, id);
        ps.setInt(2, user);
        ps.setString(3, "user_" + user);
        ps.setString(
            4,
            random.nextBoolean() ? "{\"title\":\"Thread " + id + "\",\"tags\":[\"demo\"]}" : null);
        ps.addBatch();
      }
      ps.executeBatch();
    }
  }

  private void insertMessages(int n, int firstThread, int lastThread) throws SQLException {
    if (n == 0 || lastThread < firstThread) {
      return;
    }
    try (PreparedStatement ps =
        connection.prepareStatement(
            "INSERT INTO messages (id, thread_id, clerk_user_id, role, content, tool_invocations, finish_reason,"
                + " total_tokens, prompt_tokens, completion_tokens, model_id, cost_in_cents)"
                + " VALUES (?, ?, ?, ?, ?, ?::jsonb, ?, ?, ?, ?, ?, ?)")) {
      for (int i = 0; i < n; i++) {
        int id = ++messages;
        int thread = firstThread + random.nextInt(lastThread - firstThread + 1);
        boolean done = random.nextBoolean();
        int prompt = random.nextInt(2000);
        int completion = random.nextInt(1000);
        ps.setInt(1, id);
        ps.setInt(2, thread);
        ps.setString(3, "user_" + (1 + random.nextInt(Math.max(1, users))));
        ps.setString(4, ROLES[random.nextInt(ROLES.length)]);
        ps.setString(5, "Message " + id + " in thread " + thread);
        ps.setString(6, random.nextInt(4) == 0 ? "[{\"tool\":\"search\",\"ok\":true}]" : null);
        ps.setString(7, done ? "stop" : null);
        ps.setObject(8, done ? prompt + completion : null, java.sql.Types.INTEGER);
        ps.setObject(9, done ? prompt : null, java.sql.Types.INTEGER);
        ps.setObject(10, done ? completion : null, java.sql.Types.INTEGER);
        ps.setString(11, done ? "gpt-4o" : null);
        ps.setBigDecimal(12, done ? java.math.BigDecimal.valueOf(random.nextInt(10_000), 2) : null);
        ps.addBatch();
      }
      ps.executeBatch();
    }
  }

  private void syncSequences() throws SQLException {
    try (Statement st = connection.createStatement()) {
      st.execute(
          "SELECT setval('users_id_seq', GREATEST(1, (SELECT COALESCE(max(id), 1) FROM users)))");
      st.execute(
          "SELECT setval('threads_id_seq', GREATEST(1, (SELECT COALESCE(max(id), 1) FROM threads)))");
      st.execute(
          "SELECT setval('messages_id_seq', GREATEST(1, (SELECT COALESCE(max(id), 1) FROM messages)))");
    }
  }

  /** Continues the ids of {@code other} (another connection's loader on the same tables). */
  public void adopt(DemoDatabase other) {
    users = other.users;
    threads = other.threads;
    messages = other.messages;
  }

  public int users() {
    return users;
  }

  public int threads() {
    return threads;
  }

  public int messages() {
    return messages;
  }
}
