package dev.pgconvex.soak;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Locale;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import okhttp3.Headers;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okhttp3.ResponseBody;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real HTTP proxy in front of a Convex deployment (the emulator) that injects the errors a
 * deployment shows under stress, at a configured rate: 503, 429 with {@code Retry-After: 1},
 * connections dropped before any response, and added latency (the call then goes through). Faults
 * hit only Convex's function routes ({@code /api/...}); everything else passes untouched.
 *
 * <p>The decision of each call comes from one {@link SplittableRandom} seeded by the caller, so a
 * run with one seed injects a reproducible mix (the exact calls hit still depend on timing). The
 * upstream can be changed while running ({@link #upstream(String)}), as when the emulator comes
 * back on another port; while it is unreachable the proxy answers 502, which clients retry like any
 * 5xx. Thread-safe. The {@code Authorization} header is forwarded and never logged.
 */
public final class FaultProxy implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(FaultProxy.class);
  // Hop-by-hop headers a proxy does not forward (RFC 9110 7.6.1), plus the ones OkHttp sets.
  private static final Set<String> HOP =
      Set.of(
          "connection",
          "keep-alive",
          "proxy-connection",
          "transfer-encoding",
          "te",
          "trailer",
          "upgrade",
          "host",
          "content-length");

  static {
    // The JDK server writes headers and body apart; with Nagle on, each answer waits out the
    // client's delayed ACK (~40 ms a call, which would slow the sink more than the faults do).
    // Read once when the server classes load, so set before the first server is created.
    if (System.getProperty("sun.net.httpserver.nodelay") == null) {
      System.setProperty("sun.net.httpserver.nodelay", "true");
    }
  }

  /** The kinds of injected fault, counted by {@link #injected(Kind)}. */
  public enum Kind {
    UNAVAILABLE_503,
    RATE_LIMITED_429,
    DROPPED,
    LATENCY
  }

  private final HttpServer server;
  private final ExecutorService pool;
  private final OkHttpClient http;
  private final SplittableRandom random;
  private final Duration maxLatency;
  private final AtomicLong[] counts = new AtomicLong[Kind.values().length];
  private final AtomicLong forwarded = new AtomicLong();
  private volatile String upstream;
  private volatile double rate;

  /**
   * Starts the proxy on a free loopback port.
   *
   * @param upstream base URL to forward to, {@code http://127.0.0.1:3210}
   * @param seed seeds the fault decisions
   * @param maxLatency the most latency added to a call hit by {@link Kind#LATENCY}
   */
  public FaultProxy(String upstream, long seed, Duration maxLatency) throws IOException {
    this(upstream, seed, maxLatency, 0);
  }

  /** As {@link #FaultProxy(String, long, Duration)}, on {@code port} (0: a free one). */
  public FaultProxy(String upstream, long seed, Duration maxLatency, int port) throws IOException {
    this.upstream = stripSlash(upstream);
    this.random = new SplittableRandom(seed);
    this.maxLatency = maxLatency;
    for (int i = 0; i < counts.length; i++) {
      counts[i] = new AtomicLong();
    }
    // Timeouts above the sink's own (60 s call timeout): the client decides when to give up.
    this.http =
        new OkHttpClient.Builder()
            .retryOnConnectionFailure(false)
            .socketFactory(new dev.pgconvex.sink.http.NoDelaySocketFactory())
            .connectTimeout(Duration.ofSeconds(5))
            .readTimeout(Duration.ofSeconds(120))
            .writeTimeout(Duration.ofSeconds(120))
            .callTimeout(Duration.ofSeconds(130))
            .build();
    this.pool =
        Executors.newCachedThreadPool(
            r -> {
              Thread t = new Thread(r, "pgconvex-fault-proxy");
              t.setDaemon(true);
              return t;
            });
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 64);
    server.setExecutor(pool);
    server.createContext("/", this::handle);
    server.start();
  }

  /** The proxy's base URL, {@code http://127.0.0.1:PORT}: give it to the client instead. */
  public String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  /** Where calls go from now on. */
  public void upstream(String url) {
    this.upstream = stripSlash(url);
  }

  /**
   * The share of function calls hit by a fault, 0 (none, the default) to 1; each hit is one of the
   * four kinds with equal chance.
   */
  public void faultRate(double rate) {
    if (rate < 0 || rate > 1) {
      throw new IllegalArgumentException("fault rate must be between 0 and 1: " + rate);
    }
    this.rate = rate;
  }

  /** Calls hit by {@code kind} since start. */
  public long injected(Kind kind) {
    return counts[kind.ordinal()].get();
  }

  /** Calls hit by any fault since start. */
  public long injectedTotal() {
    long n = 0;
    for (AtomicLong c : counts) {
      n += c.get();
    }
    return n;
  }

  /** Calls passed to the upstream since start (latency-delayed ones included). */
  public long forwarded() {
    return forwarded.get();
  }

  private Kind decide(String path) {
    double r = rate;
    if (r == 0 || !path.startsWith("/api/")) {
      return null;
    }
    synchronized (random) {
      if (random.nextDouble() >= r) {
        return null;
      }
      return Kind.values()[random.nextInt(Kind.values().length)];
    }
  }

  private void handle(HttpExchange ex) throws IOException {
    try (ex) {
      byte[] body = readAll(ex.getRequestBody());
      Kind fault = decide(ex.getRequestURI().getPath());
      if (fault != null) {
        counts[fault.ordinal()].incrementAndGet();
        switch (fault) {
          case UNAVAILABLE_503 -> {
            respond(ex, 503, "{\"code\":\"ServiceUnavailable\",\"message\":\"injected by soak\"}");
            return;
          }
          case RATE_LIMITED_429 -> {
            ex.getResponseHeaders().set("Retry-After", "1");
            respond(ex, 429, "{\"code\":\"RateLimited\",\"message\":\"injected by soak\"}");
            return;
          }
          case DROPPED -> {
            // No status line at all: the client sees the connection end mid-call, as when a load
            // balancer or the deployment goes away. Whether the call ran upstream is unknown to it.
            if (random(2) == 0) {
              forward(ex, body, true);
            }
            return;
          }
          case LATENCY -> sleep(1 + random((int) Math.max(1, maxLatency.toMillis())));
        }
      }
      forward(ex, body, false);
    } catch (IOException e) {
      log.debug("Proxy call ended: {}", e.toString());
    }
  }

  // dropAfter: the call runs upstream, then the client's connection is dropped without an answer.
  private void forward(HttpExchange ex, byte[] body, boolean dropAfter) throws IOException {
    String method = ex.getRequestMethod();
    Request.Builder req = new Request.Builder().url(upstream + ex.getRequestURI().toString());
    ex.getRequestHeaders()
        .forEach(
            (name, values) -> {
              if (!HOP.contains(name.toLowerCase(Locale.ROOT))) {
                values.forEach(v -> req.addHeader(name, v));
              }
            });
    String type = ex.getRequestHeaders().getFirst("Content-Type");
    RequestBody rb =
        method.equals("GET") || method.equals("HEAD")
            ? null
            : RequestBody.create(body, type == null ? null : MediaType.parse(type));
    req.method(method, rb);
    try (Response res = http.newCall(req.build()).execute()) {
      forwarded.incrementAndGet();
      ResponseBody b = res.body();
      byte[] bytes = b == null ? new byte[0] : b.bytes();
      if (dropAfter) {
        return;
      }
      Headers h = res.headers();
      for (String name : h.names()) {
        if (!HOP.contains(name.toLowerCase(Locale.ROOT))) {
          h.values(name).forEach(v -> ex.getResponseHeaders().add(name, v));
        }
      }
      ex.sendResponseHeaders(res.code(), bytes.length == 0 ? -1 : bytes.length);
      if (bytes.length > 0) {
        try (OutputStream out = ex.getResponseBody()) {
          out.write(bytes);
        }
      }
    } catch (java.net.ConnectException | java.net.SocketTimeoutException e) {
      if (!dropAfter) {
        respond(ex, 502, "{\"code\":\"BadGateway\",\"message\":\"upstream unreachable\"}");
      }
    }
  }

  private int random(int bound) {
    synchronized (random) {
      return random.nextInt(bound);
    }
  }

  private static void respond(HttpExchange ex, int code, String json) throws IOException {
    byte[] b = json.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", "application/json");
    ex.sendResponseHeaders(code, b.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(b);
    }
  }

  private static byte[] readAll(InputStream in) throws IOException {
    try (in) {
      return in.readAllBytes();
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms); // the injected latency itself
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static String stripSlash(String url) {
    return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
  }

  @Override
  public void close() {
    server.stop(0);
    pool.shutdownNow();
    try {
      pool.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    http.dispatcher().executorService().shutdown();
    http.connectionPool().evictAll();
  }
}
