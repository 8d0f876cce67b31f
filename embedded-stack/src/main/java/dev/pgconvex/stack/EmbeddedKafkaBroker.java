package dev.pgconvex.stack;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.MetadataVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real single-node Kafka broker (KRaft, combined broker and controller) running inside this JVM.
 * Set up for tests and local stacks: replication factor and min ISR 1 everywhere, no automatic
 * topic creation, no initial rebalance delay.
 *
 * <p>The log directory is {@code <directory>/kafka-logs}; it survives {@link #stop()} and {@link
 * #restart()}, which also keep both ports, and is deleted by {@link #close()} unless the builder's
 * {@link Builder#keepData(boolean)} says to keep it: then a new broker on the same directory starts
 * with every topic, committed offset and consumer group of the last one (the ports used are
 * remembered in {@code <directory>/ports.properties} and taken again when free).
 *
 * <p>Uses Kafka's internal server classes ({@code kafka.server.KafkaRaftServer}), which may change
 * between Kafka versions. Thread-safe: lifecycle methods are synchronized. Not reusable after
 * {@link #close()}.
 */
public final class EmbeddedKafkaBroker extends EmbeddedServer {
  private static final Logger log = LoggerFactory.getLogger(EmbeddedKafkaBroker.class);
  private static final String HOST = "127.0.0.1";

  private final Path logDirectory;
  private final Map<String, String> overrides;
  private final String clusterId = Uuid.randomUuid().toString();
  // SASL/PLAIN on the client listener, or null for PLAINTEXT
  private final String saslUser;
  private final String saslPassword;

  // volatile: isRunning() reads it without the lock, for health checks during a restart.
  private volatile KafkaRaftServer server;
  private int brokerPort;
  private int controllerPort;

  /** A broker in {@code directory} with the defaults; call {@link #start()}. */
  public EmbeddedKafkaBroker(Path directory) {
    this(builder(directory));
  }

  private EmbeddedKafkaBroker(Builder b) {
    super("Kafka broker", b);
    this.logDirectory = directory.resolve("kafka-logs");
    this.overrides = new LinkedHashMap<>(b.overrides);
    this.saslUser = b.saslUser;
    this.saslPassword = b.saslPassword;
  }

  /**
   * A builder for a broker whose files live under {@code directory} (created if missing).
   *
   * @param directory not null; tests pass a folder under {@code target/}
   */
  /**
   * Whether a broker, of this process or another, runs on the data in {@code directory} (the one
   * given to {@link #builder}): Kafka holds an exclusive lock on its log directory's {@code .lock}
   * file while it runs.
   */
  public static boolean runsOn(Path directory) {
    Path lockFile = directory.resolve("kafka-logs").resolve(".lock");
    if (!Files.exists(lockFile)) {
      return false;
    }
    try (java.nio.channels.FileChannel ch =
        java.nio.channels.FileChannel.open(lockFile, java.nio.file.StandardOpenOption.WRITE)) {
      java.nio.channels.FileLock lock = ch.tryLock();
      if (lock == null) {
        return true;
      }
      lock.release();
      return false;
    } catch (java.nio.channels.OverlappingFileLockException e) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  public static Builder builder(Path directory) {
    return new Builder(directory);
  }

  /**
   * Starts the broker: on the first call picks two free ports (clients, controller) and formats the
   * storage; later calls (after {@link #stop()}) reuse both. Returns once the broker answers an
   * admin request. No-op when already running.
   *
   * @throws StackException when the broker does not come up
   * @throws IllegalStateException after {@link #close()}
   */
  @Override
  protected void startServer() {
    // A fatal error of the broker must not end the JVM it shares with the pipeline or the tests.
    KafkaExitGuard.install();
    if (brokerPort == 0) {
      pickPorts();
    }
    long t0 = System.nanoTime();
    KafkaRaftServer started = null;
    try {
      Dirs.create(logDirectory);
      KafkaConfig config = KafkaConfig.fromProps(brokerProperties(), false);
      if (!Files.exists(logDirectory.resolve("meta.properties"))) {
        format();
      }
      started = new KafkaRaftServer(config, Time.SYSTEM);
      started.startup();
      awaitReady();
      server = started;
    } catch (Exception e) {
      StackException failure =
          new StackException(
              "Kafka broker did not start on port " + brokerPort + ": " + e.getMessage(), e);
      if (started != null) {
        try {
          shutdown(started);
        } catch (RuntimeException suppressed) {
          failure.addSuppressed(suppressed);
        }
      }
      throw failure;
    }
    log.info(
        "Kafka broker started on {} in {} ms (logs {})",
        bootstrapServers(),
        (System.nanoTime() - t0) / 1_000_000,
        logDirectory);
  }

  // Kept data: the ports of the last broker on this directory when both are still free, so
  // clients configured with the old address keep working; otherwise (or when fresh) new ones.
  private void pickPorts() {
    Path file = directory.resolve("ports.properties");
    if (keepData && Files.exists(file)) {
      Properties last = new Properties();
      try (var in = Files.newInputStream(file)) {
        last.load(in);
        int b = Integer.parseInt(last.getProperty("broker", "0"));
        int c = Integer.parseInt(last.getProperty("controller", "0"));
        if (b > 0 && c > 0 && b != c && FreePorts.isFree(b) && FreePorts.isFree(c)) {
          brokerPort = b;
          controllerPort = c;
          return;
        }
      } catch (IOException | NumberFormatException e) {
        log.debug("Ignoring unreadable {}: {}", file, e.toString());
      }
    }
    brokerPort = FreePorts.pick();
    do {
      controllerPort = FreePorts.pick();
    } while (controllerPort == brokerPort);
    if (keepData) {
      Properties now = new Properties();
      now.setProperty("broker", Integer.toString(brokerPort));
      now.setProperty("controller", Integer.toString(controllerPort));
      try {
        Dirs.create(directory);
        try (var out = Files.newOutputStream(file)) {
          now.store(out, "ports of the embedded Kafka broker, reused by the next start");
        }
      } catch (IOException e) {
        log.debug("Cannot write {}: {}", file, e.toString());
      }
    }
  }

  /** Stops the broker (controlled shutdown), keeping its ports and data. No-op when stopped. */
  @Override
  public synchronized void stop() {
    if (server == null) {
      return;
    }
    KafkaRaftServer s = server;
    server = null;
    shutdown(s);
    log.info("Kafka broker on {} stopped", bootstrapServers());
  }

  @Override
  public boolean isRunning() {
    return server != null;
  }

  /**
   * {@code 127.0.0.1:<port>} for clients.
   *
   * @throws IllegalStateException before the first {@link #start()}
   */
  public synchronized String bootstrapServers() {
    if (brokerPort == 0) {
      throw new IllegalStateException("Kafka broker not started yet");
    }
    return HOST + ":" + brokerPort;
  }

  /**
   * What a client needs besides {@link #bootstrapServers()} to be let in: with {@link
   * Builder#saslPlain} the SASL/PLAIN settings ({@code security.protocol}, {@code sasl.mechanism},
   * {@code sasl.jaas.config}, which holds the password: never log it), else nothing.
   */
  public Map<String, String> clientSecurity() {
    if (saslUser == null) {
      return Map.of();
    }
    return Map.of(
        "security.protocol",
        "SASL_PLAINTEXT",
        "sasl.mechanism",
        "PLAIN",
        "sasl.jaas.config",
        plainLogin(saslUser, saslPassword, false));
  }

  // PlainLoginModule options: the client's own user and password; the broker also lists the
  // users it accepts as user_<name>="<password>".
  private static String plainLogin(String user, String password, boolean server) {
    return "org.apache.kafka.common.security.plain.PlainLoginModule required username=\""
        + user
        + "\" password=\""
        + password
        + "\""
        + (server ? " user_" + user + "=\"" + password + "\"" : "")
        + ";";
  }

  /** The client port; 0 before the first start. */
  public synchronized int port() {
    return brokerPort;
  }

  @Override
  public String toString() {
    return "EmbeddedKafkaBroker{port=" + brokerPort + ", logs=" + logDirectory + "}";
  }

  Properties brokerProperties() {
    Properties p = new Properties();
    p.put("process.roles", "broker,controller");
    p.put("node.id", "1");
    p.put("controller.quorum.voters", "1@" + HOST + ":" + controllerPort);
    // With SASL the one client listener is SASL_PLAINTEXT (no plain way in); the broker talks to
    // itself through it with the same user. The controller listener stays internal.
    String client = saslUser == null ? "PLAINTEXT" : "SASL_PLAINTEXT";
    p.put(
        "listeners",
        client + "://" + HOST + ":" + brokerPort + ",CONTROLLER://" + HOST + ":" + controllerPort);
    p.put("advertised.listeners", client + "://" + HOST + ":" + brokerPort);
    p.put("controller.listener.names", "CONTROLLER");
    p.put("inter.broker.listener.name", client);
    p.put("listener.security.protocol.map", client + ":" + client + ",CONTROLLER:PLAINTEXT");
    if (saslUser != null) {
      p.put("sasl.enabled.mechanisms", "PLAIN");
      p.put("sasl.mechanism.inter.broker.protocol", "PLAIN");
      p.put(
          "listener.name.sasl_plaintext.plain.sasl.jaas.config",
          plainLogin(saslUser, saslPassword, true));
    }
    p.put("log.dirs", logDirectory.toString());
    p.put("metadata.log.dir", logDirectory.toString());
    // One node: every internal topic must fit on it, or consumer groups and transactions hang.
    p.put("offsets.topic.replication.factor", "1");
    p.put("offsets.topic.num.partitions", "5");
    p.put("transaction.state.log.replication.factor", "1");
    p.put("transaction.state.log.min.isr", "1");
    p.put("transaction.state.log.num.partitions", "5");
    p.put("share.coordinator.state.topic.replication.factor", "1");
    p.put("share.coordinator.state.topic.min.isr", "1");
    p.put("default.replication.factor", "1");
    p.put("min.insync.replicas", "1");
    p.put("num.partitions", "1");
    p.put("group.initial.rebalance.delay.ms", "0");
    p.put("auto.create.topics.enable", "false");
    // Controlled shutdown stays on: it fences this broker's registration, so a restart can
    // register again at once instead of waiting for broker.session.timeout.ms.
    p.putAll(overrides);
    return p;
  }

  private void format() throws Exception {
    new Formatter()
        .setPrintStream(new PrintStream(OutputStream.nullOutputStream()))
        .setClusterId(clusterId)
        .setNodeId(1)
        .setControllerListenerName("CONTROLLER")
        .setMetadataLogDirectory(logDirectory.toString())
        .addDirectory(logDirectory.toString())
        .setReleaseVersion(MetadataVersion.LATEST_PRODUCTION)
        .run();
  }

  private void awaitReady() throws Exception {
    Map<String, Object> conf = new LinkedHashMap<>();
    conf.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
    conf.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) startTimeout.toMillis());
    conf.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) startTimeout.toMillis());
    conf.putAll(clientSecurity());
    try (Admin admin = Admin.create(conf)) {
      admin.describeCluster().nodes().get(startTimeout.toMillis(), TimeUnit.MILLISECONDS);
    }
  }

  private static void shutdown(KafkaRaftServer s) {
    s.shutdown();
    s.awaitShutdown();
  }

  /** Options of an {@link EmbeddedKafkaBroker}. Not thread-safe; use once. */
  public static final class Builder extends EmbeddedServer.Options<Builder> {
    private final Map<String, String> overrides = new LinkedHashMap<>();
    private String saslUser;
    private String saslPassword;

    private Builder(Path directory) {
      super(directory);
    }

    /**
     * A broker setting ({@code log.retention.ms}, ...) that overrides the defaults. Listener, port
     * and directory settings are the broker's own; overriding them breaks it.
     */
    public Builder brokerConfig(String name, String value) {
      overrides.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(value, "value"));
      return this;
    }

    /**
     * Clients must authenticate with SASL/PLAIN as {@code user} with {@code password}: the client
     * listener is SASL_PLAINTEXT and the only user is this one ({@link
     * EmbeddedKafkaBroker#clientSecurity()} gives a client's settings). Default: PLAINTEXT, no
     * authentication.
     */
    public Builder saslPlain(String user, String password) {
      if (!user.matches("[A-Za-z0-9_.-]+") || password.isEmpty() || password.contains("\"")) {
        throw new IllegalArgumentException(
            "SASL user must be letters, digits, '_', '.' or '-' and the password non-empty"
                + " without '\"'");
      }
      this.saslUser = user;
      this.saslPassword = password;
      return this;
    }

    /** A broker with these options, not started. */
    public EmbeddedKafkaBroker build() {
      return new EmbeddedKafkaBroker(this);
    }
  }
}
