package dev.pgconvex.stack;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The lifecycle the embedded servers share: {@link #start()} (no-op while running, refused after
 * {@link #close()}), {@link #stop()} keeping data and ports, {@link #close()} that stops and
 * deletes the server's directory unless its data is kept, and one JVM shutdown hook per server
 * ({@link ServerShutdownHook}) so no server outlives the process. Subclasses say how to start, stop
 * and tell they run; every method here holds the server's monitor, as theirs do.
 */
public abstract class EmbeddedServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(EmbeddedServer.class);

  /** The server's own directory (absolute): its data, its ports file, its password. */
  protected final Path directory;

  /** Whether {@link #close()} keeps {@link #directory} for the next server on it. */
  protected final boolean keepData;

  /** How long starting (and stopping) may take. */
  protected final Duration startTimeout;

  private final String name;
  private final ServerShutdownHook shutdownHook;
  private boolean closed;

  protected EmbeddedServer(String name, Options<?> o) {
    this.name = name;
    this.directory = o.directory.toAbsolutePath();
    this.keepData = o.keepData;
    this.startTimeout = o.startTimeout;
    this.shutdownHook =
        new ServerShutdownHook(
            "embedded-" + name.toLowerCase(java.util.Locale.ROOT).replace(' ', '-') + "-shutdown",
            this::stopQuietly,
            o.shutdownHookDelay);
  }

  /**
   * Starts the server; returns once it serves clients. No-op when already running.
   *
   * @throws StackException when it does not come up
   * @throws IllegalStateException after {@link #close()}
   */
  public final synchronized void start() {
    if (closed) {
      throw new IllegalStateException(name + " was closed");
    }
    if (isRunning()) {
      return;
    }
    startServer();
    // One hook per server, registered once it runs: no orphaned server after the JVM exits.
    shutdownHook.register();
  }

  /** Starts the server process; called by {@link #start()} when it does not run. */
  protected abstract void startServer();

  /** Stops the server, keeping its ports and data. No-op when not running. */
  public abstract void stop();

  /** True between {@link #start()} and {@link #stop()}. */
  public abstract boolean isRunning();

  /** {@link #stop()} then {@link #start()}: same ports, same data. */
  public synchronized void restart() {
    stop();
    start();
  }

  /**
   * Stops the server and deletes its directory (kept with the builder's {@code keepData}).
   * Idempotent; never throws.
   */
  @Override
  public final synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    stopQuietly();
    shutdownHook.ownerClosed();
    if (!keepData) {
      Dirs.deleteQuietly(directory);
    }
  }

  private void stopQuietly() {
    try {
      stop();
    } catch (RuntimeException e) {
      log.warn("Stopping {} failed", name, e);
    }
  }

  /** The options every embedded server's builder has. Not thread-safe; use once. */
  @SuppressWarnings("unchecked")
  public abstract static class Options<B extends Options<B>> {
    final Path directory;
    boolean keepData;
    Duration shutdownHookDelay = Duration.ZERO;
    Duration startTimeout = Duration.ofSeconds(60);

    protected Options(Path directory) {
      this.directory = Objects.requireNonNull(directory, "directory");
    }

    /**
     * Whether {@code close()} keeps the data for the next server on the same directory; default
     * false (deleted).
     */
    public B keepData(boolean keep) {
      this.keepData = keep;
      return (B) this;
    }

    /**
     * How long the JVM shutdown hook waits for the owner to close this server in order before it
     * stops the server itself (see {@link ServerShutdownHook}); default 0.
     */
    public B shutdownHookDelay(Duration delay) {
      this.shutdownHookDelay = Objects.requireNonNull(delay, "delay");
      return (B) this;
    }

    /** How long {@code start()} waits for the server; default 60 s. */
    public B startTimeout(Duration timeout) {
      this.startTimeout = Objects.requireNonNull(timeout, "timeout");
      return (B) this;
    }
  }
}
