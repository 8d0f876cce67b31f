package dev.pgconvex.stack;

import dev.pgconvex.common.config.Secret;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real PostgreSQL 17 server run from the zonky binaries, set up for logical replication ({@code
 * wal_level=logical}, 32 slots and WAL senders, {@code synchronous_commit=on}) and password
 * authentication (SCRAM) for the superuser {@value #SUPERUSER}.
 *
 * <p>The data directory is {@code <directory>/data}; it survives {@link #stop()} and {@link
 * #restart()}, which also keep the port, and is deleted by {@link #close()} unless the builder's
 * {@link Builder#keepData(boolean)} says to keep it: then the superuser's password is kept beside
 * it ({@code <directory>/superuser.pw}, readable by the owner only) and a new server on the same
 * directory starts with the same databases, slots and password. The binaries are extracted once
 * into the directory named by the system property {@code ot.epg.working-dir} (zonky's own setting;
 * default {@code <java.io.tmpdir>/embedded-pg}) unless the builder names another.
 *
 * <p>Thread-safe: lifecycle methods are synchronized. Not reusable after {@link #close()}.
 *
 * <pre>{@code
 * try (EmbeddedPostgresServer pg = new EmbeddedPostgresServer(Path.of("target/pg"))) {
 *   pg.start();
 *   pg.createDatabase("app");
 *   try (Connection c = pg.connect("app")) { ... }
 * }
 * }</pre>
 */
public final class EmbeddedPostgresServer extends EmbeddedServer {
  /** The superuser every server has. */
  public static final String SUPERUSER = "postgres";

  private static final Logger log = LoggerFactory.getLogger(EmbeddedPostgresServer.class);

  private final Path dataDirectory;
  private final Path binariesDirectory;
  private final Secret password;
  private final Map<String, String> serverConfig;

  // volatile: isRunning() reads it without the lock, for health checks during a restart.
  private volatile EmbeddedPostgres postgres;
  private int port;

  /** A server in {@code directory} with the defaults; call {@link #start()}. */
  public EmbeddedPostgresServer(Path directory) {
    this(builder(directory));
  }

  private EmbeddedPostgresServer(Builder b) {
    super("Postgres server", b);
    this.dataDirectory = directory.resolve("data");
    this.binariesDirectory = b.binariesDirectory;
    this.password =
        b.password != null
            ? b.password
            : keepData ? keptPassword(directory.resolve("superuser.pw")) : randomPassword();
    this.serverConfig = new LinkedHashMap<>(b.serverConfig);
  }

  /**
   * A builder for a server whose files live under {@code directory} (created if missing).
   *
   * @param directory not null; tests pass a folder under {@code target/}
   */
  public static Builder builder(Path directory) {
    return new Builder(directory);
  }

  /**
   * Starts the server: on the first call picks a free port and runs {@code initdb}; later calls
   * (after {@link #stop()}) reuse the port and the data. Returns once the server accepts
   * connections. No-op when already running.
   *
   * @throws StackException when the server does not come up within the start timeout
   * @throws IllegalStateException after {@link #close()}
   */
  @Override
  protected void startServer() {
    Dirs.create(dataDirectory);
    boolean firstStart = !Files.exists(dataDirectory.resolve("postgresql.conf"));
    if (port == 0) {
      port = FreePorts.pick();
    }
    Path pwFile = directory.resolve("initdb.pw");
    try {
      if (firstStart) {
        Files.writeString(pwFile, password.reveal());
      }
      EmbeddedPostgres.Builder builder =
          EmbeddedPostgres.builder()
              .setPort(port)
              .setDataDirectory(dataDirectory)
              .setCleanDataDirectory(false)
              .setRegisterShutdownHook(false)
              .setPGStartupWait(startTimeout)
              // zonky's readiness probe logs in over TCP, so it needs the password as well.
              .setConnectConfig("password", password.reveal())
              // Runs after initdb, before the postmaster: hba must exist before any connection.
              .setDataDirectoryCustomizer(dir -> writeHba(dir.toPath()));
      if (firstStart) {
        // zonky passes these as "--key=value" to initdb only: sets the superuser's password.
        builder.setLocaleConfig("pwfile", pwFile.toString());
      }
      if (binariesDirectory != null) {
        builder.setOverrideWorkingDirectory(Dirs.create(binariesDirectory).toFile());
      }
      serverConfig.forEach(builder::setServerConfig);
      long t0 = System.nanoTime();
      postgres = builder.start();
      log.info(
          "Postgres started on port {} in {} ms (data {})",
          port,
          (System.nanoTime() - t0) / 1_000_000,
          dataDirectory);
    } catch (IOException | RuntimeException e) {
      throw new StackException("Postgres did not start on port " + port + ": " + e.getMessage(), e);
    } finally {
      try {
        Files.deleteIfExists(pwFile);
      } catch (IOException ignored) {
        // The file is under the server's own directory; close() deletes it anyway.
      }
    }
    // zonky would add a shutdown hook per start: EmbeddedServer registers one per server.
  }

  /** Stops the server (fast shutdown), keeping its port and data. No-op when not running. */
  @Override
  public synchronized void stop() {
    if (postgres == null) {
      return;
    }
    try {
      postgres.close();
    } catch (IOException e) {
      throw new StackException("Postgres on port " + port + " did not stop cleanly", e);
    } finally {
      postgres = null;
    }
    awaitPostmasterGone();
    log.info("Postgres on port {} stopped", port);
  }

  // zonky's pg_ctl stop gives up after 5 s and only logs it; a restart would then find the old
  // postmaster still holding the data directory and port.
  private void awaitPostmasterGone() {
    Path pid = dataDirectory.resolve("postmaster.pid");
    long deadline = System.nanoTime() + startTimeout.toNanos();
    while (Files.exists(pid)) {
      if (System.nanoTime() > deadline) {
        throw new StackException(
            "Postgres on port " + port + " still running " + startTimeout + " after stop");
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new StackException("Interrupted while stopping Postgres on port " + port, e);
      }
    }
  }

  @Override
  public boolean isRunning() {
    return postgres != null;
  }

  /**
   * The TCP port.
   *
   * @throws IllegalStateException before the first {@link #start()}
   */
  public synchronized int port() {
    if (port == 0) {
      throw new IllegalStateException("Postgres server not started yet");
    }
    return port;
  }

  /** The host clients connect to, {@code 127.0.0.1} (Debezium wants host and port apart). */
  public String host() {
    return "127.0.0.1";
  }

  /** The superuser's name, {@value #SUPERUSER}. */
  public String user() {
    return SUPERUSER;
  }

  /** The superuser's password. */
  public Secret password() {
    return password;
  }

  /**
   * A JDBC URL for {@code database}, without credentials: {@code
   * jdbc:postgresql://127.0.0.1:<port>/<database>}. Pass {@link #user()} and {@link #password()}
   * separately.
   */
  public String jdbcUrl(String database) {
    Objects.requireNonNull(database, "database");
    return "jdbc:postgresql://" + host() + ":" + port() + "/" + database;
  }

  /**
   * A new connection to {@code database} as the superuser; the caller closes it.
   *
   * @throws SQLException when the server does not accept it
   */
  public Connection connect(String database) throws SQLException {
    Properties props = new Properties();
    props.setProperty("user", SUPERUSER);
    props.setProperty("password", password.reveal());
    return DriverManager.getConnection(jdbcUrl(database), props);
  }

  /**
   * Creates database {@code name} (quoted, so the name is taken literally).
   *
   * @throws StackException when Postgres refuses, e.g. because it already exists
   */
  public void createDatabase(String name) {
    Objects.requireNonNull(name, "name");
    try (Connection c = connect("postgres");
        Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE \"" + name.replace("\"", "\"\"") + "\"");
    } catch (SQLException e) {
      throw new StackException("Cannot create database " + name + ": " + e.getMessage(), e);
    }
  }

  /** Where the cluster's files are ({@code <directory>/data}). */
  public Path dataDirectory() {
    return dataDirectory;
  }

  @Override
  public String toString() {
    return "EmbeddedPostgresServer{port=" + port + ", data=" + dataDirectory + "}";
  }

  private static void writeHba(Path dataDir) {
    String hba =
        String.join(
            "\n",
            "# Written by pgconvex EmbeddedPostgresServer: passwords are checked over TCP.",
            "local   all           all                    scram-sha-256",
            "host    all           all   127.0.0.1/32     scram-sha-256",
            "host    all           all   ::1/128          scram-sha-256",
            "host    replication   all   127.0.0.1/32     scram-sha-256",
            "host    replication   all   ::1/128          scram-sha-256",
            "");
    try {
      Files.writeString(dataDir.resolve("pg_hba.conf"), hba);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot write pg_hba.conf in " + dataDir, e);
    }
  }

  private static Secret randomPassword() {
    byte[] bytes = new byte[12];
    new SecureRandom().nextBytes(bytes);
    return new Secret("pg-" + HexFormat.of().formatHex(bytes));
  }

  // The password the kept data directory was initialised with, or a new one written for the next
  // start (owner-only permissions: it is the superuser's).
  private static Secret keptPassword(Path file) {
    try {
      if (Files.exists(file)) {
        return new Secret(Files.readString(file).trim());
      }
      Secret fresh = randomPassword();
      Dirs.create(file.getParent());
      Files.writeString(file, fresh.reveal());
      try {
        Files.setPosixFilePermissions(
            file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
      } catch (UnsupportedOperationException ignored) {
        // not a POSIX file system: the directory's own permissions protect it
      }
      return fresh;
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read or write " + file, e);
    }
  }

  /** Options of an {@link EmbeddedPostgresServer}. Not thread-safe; use once. */
  public static final class Builder extends EmbeddedServer.Options<Builder> {
    private Path binariesDirectory;
    private Secret password;
    private final Map<String, String> serverConfig = new LinkedHashMap<>();

    private Builder(Path directory) {
      super(directory);
      serverConfig.put("wal_level", "logical");
      serverConfig.put("max_replication_slots", "32");
      serverConfig.put("max_wal_senders", "32");
      serverConfig.put("synchronous_commit", "on");
      serverConfig.put("max_connections", "200");
    }

    /** The superuser's password; default a random one (read it with {@link #password()}). */
    public Builder password(Secret password) {
      this.password = Objects.requireNonNull(password, "password");
      return this;
    }

    /**
     * Where the binaries are extracted; default {@code ot.epg.working-dir} or {@code
     * <java.io.tmpdir>/embedded-pg}. Sharing it between servers saves the extraction (seconds).
     */
    public Builder binariesDirectory(Path dir) {
      this.binariesDirectory = Objects.requireNonNull(dir, "dir");
      return this;
    }

    /** A {@code postgres -c name=value} setting; overrides the defaults of the same name. */
    public Builder serverConfig(String name, String value) {
      serverConfig.put(
          Objects.requireNonNull(name, "name"), Objects.requireNonNull(value, "value"));
      return this;
    }

    /** A server with these options, not started. */
    public EmbeddedPostgresServer build() {
      return new EmbeddedPostgresServer(this);
    }
  }
}
