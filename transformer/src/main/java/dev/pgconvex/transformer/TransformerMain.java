package dev.pgconvex.transformer;

import dev.pgconvex.common.config.CommonConfig;
import dev.pgconvex.common.config.Config;
import dev.pgconvex.common.config.ConfigException;
import dev.pgconvex.common.observe.ServiceEndpoint;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the transformer as its own process: {@code TransformerMain [--config FILE] [key=value...]}.
 * Later arguments override earlier ones and the file. Serves {@code /metrics}, {@code /health} and
 * {@code /pending} (held rows, {@link Transformer#pendingJson(int)}, read by {@code ./cdc
 * pending}); stops cleanly on SIGTERM. Exits 2 on bad configuration, 1 when it cannot start.
 */
public final class TransformerMain {
  private static final Logger LOG = LoggerFactory.getLogger(TransformerMain.class);

  private TransformerMain() {}

  public static void main(String[] args) {
    Config config;
    try {
      config = TransformerConfig.definition().parse(parseArgs(args));
    } catch (ConfigException | IllegalArgumentException e) {
      System.err.println(e.getMessage());
      System.exit(2);
      return;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    try (ServiceEndpoint endpoint =
            new ServiceEndpoint(
                config.getString(CommonConfig.HTTP_HOST), config.getInt(CommonConfig.HTTP_PORT));
        Transformer transformer = new Transformer(config, endpoint.registry(), null)) {
      endpoint.register(transformer);
      endpoint.route(
          Transformer.PENDING_PATH, () -> transformer.pendingJson(Transformer.PENDING_LIMIT));
      Runtime.getRuntime()
          .addShutdownHook(
              new Thread(
                  () -> {
                    transformer.close();
                    stopped.countDown();
                  },
                  "transformer-shutdown"));
      transformer.start();
      LOG.info("Transformer up; metrics and health at {}", endpoint.url());
      stopped.await();
    } catch (ConfigException e) {
      System.err.println(e.getMessage());
      System.exit(2);
    } catch (Exception e) {
      System.err.println("Transformer failed: " + e.getMessage());
      LOG.error("Transformer failed", e);
      System.exit(1);
    }
  }

  /**
   * Turns {@code --config FILE} (a properties file) and {@code key=value} arguments into raw
   * configuration values.
   *
   * @throws IllegalArgumentException on an argument of neither form or an unreadable file
   */
  static Map<String, String> parseArgs(String[] args) {
    Map<String, String> props = new LinkedHashMap<>();
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (a.equals("--config")) {
        if (i + 1 >= args.length) {
          throw new IllegalArgumentException("--config needs a file name");
        }
        Path file = Path.of(args[++i]);
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file)) {
          p.load(r);
        } catch (IOException e) {
          throw new IllegalArgumentException(
              "--config: cannot read " + file + " (" + e.getClass().getSimpleName() + ")");
        }
        p.stringPropertyNames().forEach(k -> props.put(k, p.getProperty(k).trim()));
      } else if (a.indexOf('=') > 0) {
        props.put(a.substring(0, a.indexOf('=')).trim(), a.substring(a.indexOf('=') + 1).trim());
      } else {
        throw new IllegalArgumentException(
            "Unexpected argument '" + a + "'; use --config FILE or key=value");
      }
    }
    return props;
  }
}
