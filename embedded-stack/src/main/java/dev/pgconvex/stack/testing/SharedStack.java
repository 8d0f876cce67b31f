package dev.pgconvex.stack.testing;

import dev.pgconvex.stack.ConvexEmulatorProcess;
import dev.pgconvex.stack.EmbeddedKafkaBroker;
import dev.pgconvex.stack.EmbeddedPostgresServer;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Servers shared by every test of one JVM: one Postgres, one Kafka broker, and one Convex emulator
 * per functions folder, each started on first use and stopped by a shutdown hook. Tests isolate by
 * names ({@link TestNames#unique}): a fresh database, slot, topic and group each.
 *
 * <p>Files go to {@code <java.io.tmpdir>/pgconvex-shared-<pid>} (under {@code target/} in tests).
 * Tests must not stop these servers; a test that restarts a server starts its own instead.
 *
 * <pre>{@code
 * String url = SharedStack.freshDatabase("orders");
 * EmbeddedPostgresServer pg = SharedStack.postgres();   // pg.user(), pg.password()
 * String bootstrap = SharedStack.kafka().bootstrapServers();
 * }</pre>
 *
 * <p>Thread-safe.
 */
public final class SharedStack {
  /** System property: the functions folder of {@link #convex()} (default {@code <home>/convex}). */
  public static final String CONVEX_FUNCTIONS_PROPERTY = "pgconvex.test.convex.functions";

  private static final Logger log = LoggerFactory.getLogger(SharedStack.class);
  private static final Path ROOT =
      Path.of(
              System.getProperty("java.io.tmpdir"),
              "pgconvex-shared-" + ProcessHandle.current().pid())
          .toAbsolutePath();
  private static final Map<Path, ConvexEmulatorProcess> EMULATORS = new ConcurrentHashMap<>();

  private static EmbeddedPostgresServer postgres;
  private static EmbeddedKafkaBroker kafka;
  private static boolean hookAdded;

  private SharedStack() {}

  /** The shared Postgres, started on first call. */
  public static synchronized EmbeddedPostgresServer postgres() {
    if (postgres == null) {
      EmbeddedPostgresServer pg = new EmbeddedPostgresServer(ROOT.resolve("postgres"));
      pg.start();
      postgres = pg;
      addHook();
    }
    return postgres;
  }

  /** The shared Kafka broker, started on first call. */
  public static synchronized EmbeddedKafkaBroker kafka() {
    if (kafka == null) {
      EmbeddedKafkaBroker broker = new EmbeddedKafkaBroker(ROOT.resolve("kafka"));
      broker.start();
      kafka = broker;
      addHook();
    }
    return kafka;
  }

  /**
   * The shared Convex emulator for the default functions folder (system property {@value
   * #CONVEX_FUNCTIONS_PROPERTY}, else {@code <home>/convex}), started on first call, data in
   * memory.
   */
  public static ConvexEmulatorProcess convex() {
    String dir = System.getProperty(CONVEX_FUNCTIONS_PROPERTY);
    return convex(
        dir != null && !dir.isBlank()
            ? Path.of(dir)
            : ConvexEmulatorProcess.locateHome().resolve("convex"));
  }

  /**
   * The shared Convex emulator serving {@code functionsDir} (one per folder), started on first
   * call. Its data is shared by every test using it: isolate by table or key.
   */
  public static synchronized ConvexEmulatorProcess convex(Path functionsDir) {
    Path key = functionsDir.toAbsolutePath().normalize();
    ConvexEmulatorProcess emulator = EMULATORS.get(key);
    if (emulator == null || !emulator.isAlive()) {
      emulator = ConvexEmulatorProcess.builder().functionsDir(key).build();
      emulator.start();
      EMULATORS.put(key, emulator);
      addHook();
    }
    return emulator;
  }

  /**
   * Creates a database named {@code TestNames.unique(prefix)} on the shared Postgres.
   *
   * @return its JDBC URL, without credentials (use {@code postgres().user()} and {@code
   *     postgres().password()})
   */
  public static String freshDatabase(String prefix) {
    EmbeddedPostgresServer pg = postgres();
    String name = TestNames.unique(prefix);
    pg.createDatabase(name);
    return pg.jdbcUrl(name);
  }

  private static void addHook() {
    if (hookAdded) {
      return;
    }
    hookAdded = true;
    Runtime.getRuntime()
        .addShutdownHook(new Thread(SharedStack::closeAll, "shared-stack-shutdown"));
  }

  private static synchronized void closeAll() {
    EMULATORS.values().forEach(ConvexEmulatorProcess::close);
    EMULATORS.clear();
    if (kafka != null) {
      kafka.close();
    }
    if (postgres != null) {
      postgres.close();
    }
    log.info("Shared test stack stopped");
  }
}
