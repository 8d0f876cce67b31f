package dev.pgconvex.common.service;

import dev.pgconvex.common.config.CommonConfig;
import dev.pgconvex.common.config.Config;
import dev.pgconvex.common.config.ConfigException;
import dev.pgconvex.common.observe.ServiceEndpoint;
import java.io.IOException;
import java.io.PrintStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;

/**
 * Runs one pipeline stage as its own process, the same way for every stage: {@code <Main> [--config
 * FILE.properties] [key=value ...]}, then {@code /metrics}, {@code /health} and {@code /status} on
 * {@code http.host}:{@code http.port}, the stage until it stops, a clean stop on SIGTERM.
 *
 * <p>Exit codes: 0 stopped (SIGTERM), 1 failed (retriable: restart it), 2 bad arguments or
 * configuration, or a state the stage refuses to start in (its {@link Stage#mustFixFirst}): fix
 * that first. Messages go to standard error, one per line, never with a secret's value.
 */
public final class ServiceRunner {
  /** Exit code: stopped on request. */
  public static final int STOPPED = 0;

  /** Exit code: failed; a restart may help. */
  public static final int FAILED = 1;

  /** Exit code: bad arguments or configuration, or a refused start; fix first. */
  public static final int FIX_FIRST = 2;

  private ServiceRunner() {}

  /**
   * What the runner needs of a stage.
   *
   * @param <S> the stage's service
   */
  public interface Stage<S extends Service> {
    /** The process's name in messages: {@code SourceMain}. */
    String mainName();

    /** Parses the raw properties; {@link ConfigException} lists every problem. */
    Config parse(Map<String, String> props);

    /** Builds the stage (not started); may add routes to {@code endpoint}. */
    S create(Config config, ServiceEndpoint endpoint) throws Exception;

    /**
     * Blocks until the started stage stops by itself or is closed.
     *
     * @return the failure that stopped it, or null for a clean stop
     */
    Throwable awaitTermination(S service) throws InterruptedException;

    /** Whether {@code e}, thrown by start, is a refusal the user must fix (exit 2). */
    default boolean mustFixFirst(Exception e) {
      return e instanceof ConfigException;
    }
  }

  /** Runs {@code stage} and exits the JVM with its exit code. */
  public static <S extends Service> void main(Stage<S> stage, String[] args) {
    System.exit(run(stage, args, System.err));
  }

  /** Runs {@code stage} until it stops; returns the exit code. */
  public static <S extends Service> int run(Stage<S> stage, String[] args, PrintStream err) {
    Config config;
    try {
      config = stage.parse(parseArgs(args, stage.mainName()));
    } catch (ConfigException | IllegalArgumentException e) {
      err.println(e.getMessage());
      return FIX_FIRST;
    }
    try (ServiceEndpoint endpoint =
            new ServiceEndpoint(
                config.getString(CommonConfig.HTTP_HOST), config.getInt(CommonConfig.HTTP_PORT));
        S service = stage.create(config, endpoint)) {
      endpoint.register(service);
      Runtime.getRuntime()
          .addShutdownHook(new Thread(service::close, "pgconvex-" + service.name() + "-shutdown"));
      service.start();
      err.println(
          "pgconvex "
              + service.name()
              + " running; /metrics, /health and /status at "
              + endpoint.url());
      Throwable failure = stage.awaitTermination(service);
      if (failure != null) {
        err.println(service.name() + " failed: " + messageOf(failure));
        return FAILED;
      }
      return STOPPED;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return FAILED;
    } catch (Exception e) {
      boolean fix = stage.mustFixFirst(e);
      err.println(fix ? e.getMessage() : stage.mainName() + " failed: " + messageOf(e));
      return fix ? FIX_FIRST : FAILED;
    }
  }

  private static String messageOf(Throwable t) {
    return t.getMessage() == null ? t.toString() : t.getMessage();
  }

  /**
   * The raw properties of {@code args}, applied in order so a later one wins: {@code --config FILE}
   * or {@code --config=FILE} (Java properties) and {@code key=value}; keys and values trimmed.
   *
   * @param mainName named in the usage line of an error
   * @throws IllegalArgumentException on another argument or an unreadable file; the message never
   *     repeats a value (it may be a password)
   */
  public static Map<String, String> parseArgs(String[] args, String mainName) {
    Objects.requireNonNull(mainName, "mainName");
    Map<String, String> props = new LinkedHashMap<>();
    List<String> list = List.of(args);
    for (int i = 0; i < list.size(); i++) {
      String a = list.get(i);
      if (a.equals("--config") || a.startsWith("--config=")) {
        String file;
        if (a.equals("--config")) {
          if (i + 1 >= list.size()) {
            throw new IllegalArgumentException("--config needs a file name");
          }
          file = list.get(++i);
        } else {
          file = a.substring("--config=".length());
        }
        props.putAll(readProperties(Path.of(file)));
      } else if (a.indexOf('=') > 0 && !a.startsWith("-")) {
        props.put(a.substring(0, a.indexOf('=')).trim(), a.substring(a.indexOf('=') + 1).trim());
      } else {
        throw new IllegalArgumentException(
            "Unknown argument '"
                + (a.indexOf('=') > 0 ? a.substring(0, a.indexOf('=')) + "=..." : a)
                + "'; usage: "
                + mainName
                + " [--config FILE.properties] [key=value ...]");
      }
    }
    return props;
  }

  private static Map<String, String> readProperties(Path file) {
    Properties p = new Properties();
    try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      p.load(r);
    } catch (IOException e) {
      throw new IllegalArgumentException(
          "--config: cannot read " + file + " (" + e.getClass().getSimpleName() + ")");
    }
    Map<String, String> out = new LinkedHashMap<>();
    p.stringPropertyNames().forEach(k -> out.put(k.trim(), p.getProperty(k).trim()));
    return out;
  }
}
