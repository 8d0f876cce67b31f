package dev.pgconvex.stack;

import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.common.utils.Exit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the in-process broker from ending the JVM it shares with the tests or the CLI: on a fatal
 * error Kafka's server code calls {@link Exit#exit} or {@link Exit#halt}, which by default run
 * {@code System.exit} / {@code Runtime.halt}. Installed once per JVM (the procedures are global),
 * the guard refuses: it logs the request, remembers it ({@link #refused()}, which turns the
 * embedded stack's health DOWN), and throws a {@link StackException} in the calling Kafka thread
 * instead, so the failure stays visible and the JVM lives on.
 */
public final class KafkaExitGuard {
  private static final Logger log = LoggerFactory.getLogger(KafkaExitGuard.class);
  private static final AtomicBoolean installed = new AtomicBoolean();
  private static volatile String refused;

  private KafkaExitGuard() {}

  /** Installs the guard; no-op after the first call. */
  public static void install() {
    if (!installed.compareAndSet(false, true)) {
      return;
    }
    Exit.setExitProcedure((status, message) -> refuse("exit", status, message));
    Exit.setHaltProcedure((status, message) -> refuse("halt", status, message));
  }

  /**
   * The last exit Kafka asked for and was refused ({@code exit(1): message}), or null when none.
   */
  public static String refused() {
    return refused;
  }

  /** Forgets the last refusal (tests that provoke one, so later ones start clean). */
  static void forget() {
    refused = null;
  }

  private static void refuse(String kind, int status, String message) {
    String what = kind + "(" + status + ")" + (message == null ? "" : ": " + message);
    refused = what;
    log.error(
        "The embedded Kafka broker hit a fatal error and asked to {} the JVM; refused, the broker is"
            + " no longer usable: {}",
        kind,
        what);
    throw new StackException("embedded Kafka asked to " + what + " (refused: the JVM stays up)");
  }
}
