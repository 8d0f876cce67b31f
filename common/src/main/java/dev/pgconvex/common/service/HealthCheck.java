package dev.pgconvex.common.service;

import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.URI;

/**
 * A container healthcheck without curl: {@code java -cp ... dev.pgconvex.common.service.HealthCheck
 * [URL]} exits 0 when {@code URL} (default {@code http://127.0.0.1:8080/health/ready}) answers 200,
 * 1 otherwise. The service images are distroless (no shell, no curl), so Compose's {@code
 * healthcheck} runs this with the image's own JVM and classpath.
 */
public final class HealthCheck {
  /** The default URL: a service image's endpoint ({@code http.port=8080}). */
  public static final String DEFAULT_URL = "http://127.0.0.1:8080/health/ready";

  private HealthCheck() {}

  public static void main(String[] args) {
    System.exit(check(args.length > 0 ? args[0] : DEFAULT_URL, 2000));
  }

  /** 0 when {@code url} answers 200 within {@code timeoutMs}, 1 otherwise (the reason printed). */
  static int check(String url, int timeoutMs) {
    try {
      HttpURLConnection c = (HttpURLConnection) URI.create(url).toURL().openConnection();
      c.setConnectTimeout(timeoutMs);
      c.setReadTimeout(timeoutMs);
      int code = c.getResponseCode();
      c.disconnect();
      if (code == 200) {
        return 0;
      }
      System.err.println(url + " answered " + code);
      return 1;
    } catch (IOException | IllegalArgumentException e) {
      System.err.println(url + ": " + e);
      return 1;
    }
  }
}
