package dev.pgconvex.stack;

import dev.pgconvex.common.config.Secret;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The project's Convex emulator ({@code convex-emulator/bin/convex-emulator.js}) as a child {@code
 * node} process on a free port. {@link #start()} returns once the emulator printed {@code
 * CONVEX_EMULATOR_READY <url>}; its other output goes to the SLF4J logger {@code
 * dev.pgconvex.stack.convex-emulator}.
 *
 * <p>The repository is found by {@link #locateHome()}. When {@code convex-emulator/node_modules} is
 * missing, {@code npm ci} runs there first (once per JVM).
 *
 * <p>Thread-safe. {@link #close()} sends SIGTERM and waits; {@link #kill()} sends SIGKILL (crash
 * tests). Not restartable: start a new one on the same {@code dataDir} instead.
 */
public final class ConvexEmulatorProcess implements AutoCloseable {
  /** System property naming the repository root. */
  public static final String HOME_PROPERTY = "pgconvex.home";

  /** Environment variable naming the repository root, read when the property is not set. */
  public static final String HOME_ENV = "PGCONVEX_HOME";

  static final String SCRIPT = "convex-emulator/bin/convex-emulator.js";

  /** Environment variable the emulator reads its admin key from. */
  static final String ADMIN_KEY_ENV = "CONVEX_ADMIN_KEY";

  private static final Pattern READY =
      Pattern.compile("^CONVEX_EMULATOR_READY (https?://\\S+)\\s*$");
  private static final Logger log = LoggerFactory.getLogger(ConvexEmulatorProcess.class);
  private static final Logger output =
      LoggerFactory.getLogger("dev.pgconvex.stack.convex-emulator");
  private static final Object NPM_LOCK = new Object();

  private final Path home;
  private final Path functionsDir;
  private final Path dataDir;
  private final Secret adminKey;
  private final List<String> extraArgs;
  private final Duration startTimeout;
  private final String node;
  private final int port;
  private final Deque<String> recentOutput = new ArrayDeque<>();

  private volatile Process process;
  // No orphaned node process when the JVM exits without close().
  private final ServerShutdownHook shutdownHook;
  private String url;
  private boolean closed;

  private ConvexEmulatorProcess(Builder b) {
    this.home = b.home != null ? b.home.toAbsolutePath() : locateHome();
    this.functionsDir =
        b.empty
            ? null
            : b.functionsDir != null ? b.functionsDir.toAbsolutePath() : home.resolve("convex");
    this.dataDir = b.dataDir == null ? null : b.dataDir.toAbsolutePath();
    this.adminKey = b.adminKey != null ? b.adminKey : randomAdminKey();
    this.extraArgs = List.copyOf(b.extraArgs);
    this.startTimeout = b.startTimeout;
    this.node = b.node;
    this.port = b.port;
    this.shutdownHook =
        new ServerShutdownHook("convex-emulator-shutdown", this::close, b.shutdownHookDelay);
  }

  /** A builder; every option has a default. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * The repository root: system property {@value #HOME_PROPERTY}, else environment variable {@value
   * #HOME_ENV}, else the first folder, walking up from the working directory, that holds {@code
   * convex-emulator/bin/convex-emulator.js}.
   *
   * @throws StackException when none is found
   */
  public static Path locateHome() {
    return locateHome(System.getProperty(HOME_PROPERTY), System::getenv, Path.of(""));
  }

  static Path locateHome(String property, Function<String, String> env, Path workingDir) {
    if (property != null && !property.isBlank()) {
      return Path.of(property).toAbsolutePath();
    }
    String fromEnv = env.apply(HOME_ENV);
    if (fromEnv != null && !fromEnv.isBlank()) {
      return Path.of(fromEnv).toAbsolutePath();
    }
    for (Path p = workingDir.toAbsolutePath(); p != null; p = p.getParent()) {
      if (Files.isRegularFile(p.resolve(SCRIPT))) {
        return p;
      }
    }
    throw new StackException(
        "Cannot find the pgconvex repository (no "
            + SCRIPT
            + " above "
            + workingDir.toAbsolutePath()
            + "); set -D"
            + HOME_PROPERTY
            + " or "
            + HOME_ENV);
  }

  /**
   * The command line. The admin key is not on it (a process list would show it): the child reads it
   * from the environment variable {@value #ADMIN_KEY_ENV}.
   */
  List<String> command() {
    List<String> cmd = new ArrayList<>();
    cmd.add(node);
    cmd.add(home.resolve(SCRIPT).toString());
    cmd.add("--port");
    cmd.add(Integer.toString(port));
    if (functionsDir != null) {
      cmd.add("--functions");
      cmd.add(functionsDir.toString());
    }
    if (dataDir != null) {
      cmd.add("--data");
      cmd.add(dataDir.toString());
    }
    // Our pipe on its stdin closes when this JVM dies, even by SIGKILL: the emulator then stops
    // instead of living on as an orphan holding the port and the data directory.
    cmd.add("--exit-on-stdin-close");
    cmd.addAll(extraArgs);
    return cmd;
  }

  /**
   * Starts the emulator and waits for its ready line.
   *
   * @throws StackException when it exits, or is not ready within the start timeout (it is killed)
   * @throws IllegalStateException when already started or closed
   */
  public synchronized void start() {
    if (closed || process != null) {
      throw new IllegalStateException("Convex emulator already started or closed");
    }
    Path script = home.resolve(SCRIPT);
    if (!Files.isRegularFile(script)) {
      throw new StackException("Convex emulator not found: " + script);
    }
    ensureNodeModules(home.resolve("convex-emulator"), startTimeout.multipliedBy(5));
    if (dataDir != null) {
      Dirs.create(dataDir);
    }
    long t0 = System.nanoTime();
    CompletableFuture<String> ready = new CompletableFuture<>();
    try {
      ProcessBuilder builder =
          new ProcessBuilder(command())
              .directory(home.resolve("convex-emulator").toFile())
              .redirectErrorStream(true);
      builder.environment().put(ADMIN_KEY_ENV, adminKey.reveal());
      process = builder.start();
    } catch (IOException e) {
      throw new StackException("Cannot run " + node + " (is Node.js 20+ on the PATH?)", e);
    }
    Process p = process;
    shutdownHook.register();
    Thread pump = new Thread(() -> pump(p, ready), "convex-emulator-output-" + p.pid());
    pump.setDaemon(true);
    pump.start();
    try {
      url = ready.get(startTimeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException | ExecutionException | InterruptedException e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      p.destroyForcibly();
      String why =
          e instanceof TimeoutException
              ? "was not ready within " + startTimeout.toMillis() + " ms"
              : "exited before it was ready";
      throw new StackException(
          "Convex emulator " + why + "; last output:\n" + String.join("\n", recentOutput()), e);
    }
    log.info(
        "Convex emulator (pid {}) ready at {} in {} ms (functions {}, data {})",
        p.pid(),
        url,
        (System.nanoTime() - t0) / 1_000_000,
        functionsDir == null ? "none: deploy with npx convex deploy" : functionsDir,
        dataDir == null ? "in memory" : dataDir);
  }

  /**
   * The emulator's base URL, {@code http://127.0.0.1:<port>}.
   *
   * @throws IllegalStateException before {@link #start()} returned
   */
  public synchronized String url() {
    if (url == null) {
      throw new IllegalStateException("Convex emulator not started");
    }
    return url;
  }

  /**
   * The port it listens on; pass it to {@link Builder#port(int)} of a successor (same {@code
   * dataDir}) to simulate a restart at the same address.
   *
   * @throws IllegalStateException before {@link #start()} returned
   */
  public int port() {
    return URI.create(url()).getPort();
  }

  /** The admin key it accepts ({@code Authorization: Convex <key>}). */
  public Secret adminKey() {
    return adminKey;
  }

  /** The functions folder it runs; null for one started empty ({@link Builder#empty()}). */
  public Path functionsDir() {
    return functionsDir;
  }

  /** Its data folder, or null when it keeps data in memory. */
  public Path dataDir() {
    return dataDir;
  }

  /** True while the child process runs. */
  public boolean isAlive() {
    Process p = process;
    return p != null && p.isAlive();
  }

  /** The node process's id (for measuring its CPU time), or -1 when not started. */
  public long pid() {
    Process p = process;
    return p == null ? -1 : p.pid();
  }

  /** SIGKILL, then waits for the process to be gone (up to 10 s). No-op when not running. */
  public synchronized void kill() {
    if (process == null) {
      return;
    }
    process.destroyForcibly();
    awaitExit(process, Duration.ofSeconds(10));
    log.info("Convex emulator (pid {}) killed", process.pid());
  }

  /** SIGTERM, waits up to 10 s, then SIGKILL. Idempotent; never throws. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (process == null) {
      return;
    }
    shutdownHook.ownerClosed();
    if (!process.isAlive()) {
      return;
    }
    process.destroy();
    if (!awaitExit(process, Duration.ofSeconds(10))) {
      log.warn("Convex emulator (pid {}) ignored SIGTERM; killing it", process.pid());
      process.destroyForcibly();
      awaitExit(process, Duration.ofSeconds(10));
    }
  }

  @Override
  public String toString() {
    return "ConvexEmulatorProcess{url=" + url + ", functions=" + functionsDir + "}";
  }

  private void pump(Process p, CompletableFuture<String> ready) {
    try (BufferedReader in =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = in.readLine()) != null) {
        Matcher m = READY.matcher(line);
        if (!ready.isDone() && m.matches()) {
          ready.complete(m.group(1));
        } else {
          output.info("{}", line);
          remember(line);
        }
      }
    } catch (IOException e) {
      // Stream closed because the process was killed: nothing more to read.
    } finally {
      ready.completeExceptionally(new StackException("Convex emulator exited"));
    }
  }

  private void remember(String line) {
    synchronized (recentOutput) {
      recentOutput.addLast(line);
      if (recentOutput.size() > 40) {
        recentOutput.removeFirst();
      }
    }
  }

  private List<String> recentOutput() {
    synchronized (recentOutput) {
      return new ArrayList<>(recentOutput);
    }
  }

  private static boolean awaitExit(Process p, Duration timeout) {
    try {
      return p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private static void ensureNodeModules(Path emulatorDir, Duration timeout) {
    synchronized (NPM_LOCK) {
      if (Files.isDirectory(emulatorDir.resolve("node_modules"))) {
        return;
      }
      log.info("{}/node_modules is missing: running npm ci --no-audit --no-fund", emulatorDir);
      try {
        Process npm =
            new ProcessBuilder("npm", "ci", "--no-audit", "--no-fund")
                .directory(emulatorDir.toFile())
                .redirectErrorStream(true)
                .start();
        try (BufferedReader in =
            new BufferedReader(
                new InputStreamReader(npm.getInputStream(), StandardCharsets.UTF_8))) {
          String line;
          while ((line = in.readLine()) != null) {
            output.info("npm: {}", line);
          }
        }
        if (!npm.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
          npm.destroyForcibly();
          throw new StackException("npm ci in " + emulatorDir + " did not finish in " + timeout);
        }
        if (npm.exitValue() != 0) {
          throw new StackException("npm ci in " + emulatorDir + " failed: exit " + npm.exitValue());
        }
      } catch (IOException e) {
        throw new StackException("Cannot run npm ci in " + emulatorDir, e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new StackException("Interrupted while running npm ci in " + emulatorDir, e);
      }
    }
  }

  private static Secret randomAdminKey() {
    byte[] bytes = new byte[24];
    new SecureRandom().nextBytes(bytes);
    return new Secret("pgconvex-emulator|" + HexFormat.of().formatHex(bytes));
  }

  /** Options of a {@link ConvexEmulatorProcess}. Not thread-safe; use once. */
  public static final class Builder {
    private Path home;
    private Path functionsDir;
    private boolean empty;
    private Path dataDir;
    private Secret adminKey;
    private final List<String> extraArgs = new ArrayList<>();
    private Duration startTimeout = Duration.ofSeconds(60);
    private Duration shutdownHookDelay = Duration.ZERO;
    private String node = "node";
    private int port;

    private Builder() {}

    /** The port to listen on; default 0, a free one. */
    public Builder port(int port) {
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("port must be between 0 and 65535: " + port);
      }
      this.port = port;
      return this;
    }

    /** The repository root; default {@link #locateHome()}. */
    public Builder home(Path home) {
      this.home = Objects.requireNonNull(home, "home");
      return this;
    }

    /** The Convex functions folder to serve; default {@code <home>/convex}. */
    public Builder functionsDir(Path dir) {
      this.functionsDir = Objects.requireNonNull(dir, "dir");
      return this;
    }

    /** Where the emulator persists its data; default none (in memory). */
    /**
     * Starts with no functions at all, as a fresh self-hosted backend: deploy to it with {@code npx
     * convex deploy} ({@code CONVEX_SELF_HOSTED_URL}, {@code CONVEX_SELF_HOSTED_ADMIN_KEY}).
     */
    public Builder empty() {
      this.empty = true;
      return this;
    }

    public Builder dataDir(Path dir) {
      this.dataDir = dir;
      return this;
    }

    /** The admin key; default a random one (read it with {@link #adminKey()}). */
    public Builder adminKey(Secret key) {
      this.adminKey = Objects.requireNonNull(key, "key");
      return this;
    }

    /** Further command-line flags, appended as given. */
    public Builder extraArgs(String... args) {
      extraArgs.addAll(List.of(args));
      return this;
    }

    /** How long {@link #start()} waits for the ready line; default 60 s. */
    /**
     * How long the JVM shutdown hook waits for the owner to close the emulator in order (after the
     * sink) before stopping it itself; default 0.
     */
    public Builder shutdownHookDelay(Duration delay) {
      this.shutdownHookDelay = Objects.requireNonNull(delay, "delay");
      return this;
    }

    public Builder startTimeout(Duration timeout) {
      this.startTimeout = Objects.requireNonNull(timeout, "timeout");
      return this;
    }

    /** The Node.js executable; default {@code node} from the PATH. */
    public Builder node(String executable) {
      this.node = Objects.requireNonNull(executable, "executable");
      return this;
    }

    /**
     * An emulator with these options, not started.
     *
     * @throws StackException when no home is given and none can be found
     */
    public ConvexEmulatorProcess build() {
      return new ConvexEmulatorProcess(this);
    }
  }
}
