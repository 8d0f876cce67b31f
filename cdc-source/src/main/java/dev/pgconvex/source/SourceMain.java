package dev.pgconvex.source;

import dev.pgconvex.common.config.CommonConfig;
import dev.pgconvex.common.config.Config;
import dev.pgconvex.common.config.ConfigException;
import dev.pgconvex.common.observe.ServiceEndpoint;
import dev.pgconvex.source.config.SourceConfig;
import dev.pgconvex.source.preflight.SourcePreflightException;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the CDC source as a process: {@code SourceMain --config source.properties [key=value...]}.
 * Serves {@code /metrics} and {@code /health} on {@code http.host}:{@code http.port}, stops cleanly
 * on SIGTERM. Exit codes: 0 stopped, 1 failed (retriable: restart it), 2 bad configuration or
 * database not ready (fix first).
 */
public final class SourceMain {
  private static final Logger log = LoggerFactory.getLogger(SourceMain.class);

  private SourceMain() {}

  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs until the source stops; returns the exit code. */
  static int run(String[] args) {
    Config config;
    try {
      config = SourceConfig.parse(readArgs(args));
    } catch (ConfigException | IllegalArgumentException e) {
      System.err.println(e.getMessage());
      return 2;
    }
    try (ServiceEndpoint endpoint =
            new ServiceEndpoint(
                config.getString(CommonConfig.HTTP_HOST), config.getInt(CommonConfig.HTTP_PORT));
        CdcSource source = new CdcSource(config, endpoint.registry())) {
      endpoint.register(source);
      Thread hook = new Thread(source::close, "pgconvex-source-shutdown");
      Runtime.getRuntime().addShutdownHook(hook);
      log.info("Serving /metrics and /health on {}", endpoint.url());
      source.start();
      try {
        source.terminated().get();
        return 0;
      } catch (ExecutionException e) {
        System.err.println("CDC source failed: " + source.health().detail());
        return 1;
      }
    } catch (ConfigException | SourcePreflightException e) {
      System.err.println(e.getMessage());
      return 2;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 1;
    } catch (Exception e) {
      System.err.println("CDC source failed: " + e.getMessage());
      return 1;
    }
  }

  /**
   * Reads {@code --config FILE} (Java properties) and {@code key=value} overrides, later ones
   * winning.
   *
   * @throws IllegalArgumentException on an unknown argument or unreadable file
   */
  static Map<String, String> readArgs(String[] args) {
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
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(Path.of(file), StandardCharsets.UTF_8)) {
          p.load(r);
        } catch (IOException e) {
          throw new IllegalArgumentException("Cannot read config file " + file + ": " + e);
        }
        p.stringPropertyNames().forEach(k -> props.put(k, p.getProperty(k).trim()));
      } else if (a.indexOf('=') > 0 && !a.startsWith("-")) {
        props.put(a.substring(0, a.indexOf('=')).trim(), a.substring(a.indexOf('=') + 1).trim());
      } else {
        throw new IllegalArgumentException(
            "Unknown argument '"
                + (a.indexOf('=') > 0 ? a.substring(0, a.indexOf('=')) + "=..." : a)
                + "'; usage: SourceMain --config FILE.properties [key=value ...]");
      }
    }
    return props;
  }
}
