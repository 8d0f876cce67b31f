package dev.pgconvex.sink;

import dev.pgconvex.common.config.CommonConfig;
import dev.pgconvex.common.config.Config;
import dev.pgconvex.common.config.ConfigException;
import dev.pgconvex.common.observe.ServiceEndpoint;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;

/**
 * Runs the sink as a process: {@code SinkMain [--config FILE] [key=value ...]}. The file is Java
 * properties; {@code key=value} arguments override it. Serves {@code /metrics} and {@code /health}
 * on {@code http.host:http.port}. Exits 2 with the message on bad configuration, 1 when the sink
 * stops on an error, 0 after SIGTERM.
 */
public final class SinkMain {
  private SinkMain() {}

  public static void main(String[] args) {
    int code;
    try {
      code = run(args);
    } catch (ConfigException | IllegalArgumentException e) {
      System.err.println(e.getMessage());
      code = 2;
    } catch (Exception e) {
      System.err.println("Sink failed: " + e.getMessage());
      code = 1;
    }
    System.exit(code);
  }

  /** Parses {@code args} into raw properties. */
  static Map<String, String> parseArgs(String[] args) throws IOException {
    Map<String, String> props = new LinkedHashMap<>();
    Map<String, String> overrides = new LinkedHashMap<>();
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (a.equals("--config")) {
        if (i + 1 >= args.length) {
          throw new IllegalArgumentException("--config needs a file name");
        }
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(Path.of(args[++i]))) {
          p.load(r);
        }
        p.forEach((k, v) -> props.put(k.toString(), v.toString().strip()));
      } else if (a.indexOf('=') > 0) {
        overrides.put(a.substring(0, a.indexOf('=')), a.substring(a.indexOf('=') + 1));
      } else {
        throw new IllegalArgumentException(
            "Unexpected argument '" + a + "'; usage: SinkMain [--config FILE] [key=value ...]");
      }
    }
    props.putAll(overrides);
    return props;
  }

  private static int run(String[] args) throws Exception {
    Config config = SinkConfig.parse(parseArgs(args));
    try (ServiceEndpoint endpoint =
        new ServiceEndpoint(
            config.getString(CommonConfig.HTTP_HOST), config.getInt(CommonConfig.HTTP_PORT))) {
      ConvexSink sink = new ConvexSink(config, endpoint.registry());
      endpoint.register(sink);
      Thread hook = new Thread(sink::close, "pgconvex-sink-shutdown");
      Runtime.getRuntime().addShutdownHook(hook);
      sink.start();
      System.err.println("pgconvex sink running; metrics and health at " + endpoint.url());
      while (!sink.awaitStop(Duration.ofSeconds(1))) {
        // The sink thread ends on close (SIGTERM) or on a fatal error.
      }
      Throwable failure = sink.failure();
      if (failure != null) {
        System.err.println("Sink stopped: " + failure.getMessage());
        sink.close();
        return 1;
      }
      return 0;
    }
  }
}
