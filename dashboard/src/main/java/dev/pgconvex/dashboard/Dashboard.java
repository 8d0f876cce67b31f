package dev.pgconvex.dashboard;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import dev.pgconvex.common.config.Secret;
import dev.pgconvex.common.json.Json;
import dev.pgconvex.common.status.SourceStatus;
import dev.pgconvex.operations.ChainStatus;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The live page of a dual run. A sampler thread reads the endpoints every interval ({@link
 * EndpointReader}, as {@code ./cdc status} does), keeps the last hour of lag and throughput ({@link
 * History}, so a reload keeps the charts) and the newest page model ({@link DashboardModel}); the
 * HTTP routes serve the page, its assets (plain HTML, CSS and JS from the jar: no CDN, nothing
 * fetched at run time) and {@code /dashboard/state.json}. With a token set, every route answers 401
 * without it ({@code ?token=} or {@code Authorization: Bearer}). Thread-safe.
 */
public final class Dashboard implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Dashboard.class);

  /** Where the page lives. */
  public static final String PATH = "/dashboard";

  /** The page's JSON. */
  public static final String STATE_PATH = PATH + "/state.json";

  /**
   * How long after the last look at the page the parts read only for a viewer (table counts, held
   * rows, the last cutover) are still read.
   */
  static final Duration WATCHED_FOR = Duration.ofSeconds(30);

  private static final Duration HISTORY_SPAN = Duration.ofHours(1);
  private static final String WEB = "/dev/pgconvex/dashboard/web/";
  private static final Map<String, String> ASSETS =
      Map.of(
          "index.html", "text/html; charset=utf-8",
          "app.js", "text/javascript; charset=utf-8",
          "app.css", "text/css; charset=utf-8");

  private final EndpointReader reader;
  private final Secret token;
  private final long intervalMs;
  private final Function<ChainStatus, JsonNode> readiness;
  private final History history;
  private final ScheduledExecutorService sampler;
  private volatile ObjectNode latest;
  private volatile JsonNode latestPending;
  private volatile long lastViewMs;

  /**
   * @param reader reads the endpoints of the chain shown
   * @param token the token the routes require, empty for none
   * @param intervalMs how often to read (and record a point)
   * @param readiness the cutover readiness of a chain status, or null where not evaluated
   */
  public Dashboard(
      EndpointReader reader,
      Secret token,
      long intervalMs,
      Function<ChainStatus, JsonNode> readiness) {
    this.reader = reader;
    this.token = token == null ? new Secret("") : token;
    this.intervalMs = intervalMs;
    this.readiness = readiness;
    this.history = new History(HISTORY_SPAN.toMillis(), intervalMs);
    this.sampler =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "dashboard-sampler");
              t.setDaemon(true);
              return t;
            });
  }

  /** Starts reading the endpoints every interval. */
  public Dashboard start() {
    // At a fixed rate, so the page gets a new point every interval (a slow reading delays the next,
    // never runs beside it).
    sampler.scheduleAtFixedRate(this::sample, 0, intervalMs, TimeUnit.MILLISECONDS);
    return this;
  }

  /**
   * Adds the routes through {@code registrar} (an {@code HttpServer}'s {@code createContext}, or
   * {@code ServiceEndpoint#handle}): {@code /dashboard/...}, and {@code /} redirecting there.
   */
  public void install(BiConsumer<String, HttpHandler> registrar) {
    registrar.accept(PATH, this::serve);
    registrar.accept("/", this::root);
  }

  /** The newest page model, null before the first reading. */
  public ObjectNode state() {
    return latest;
  }

  private void sample() {
    try {
      long now = System.currentTimeMillis();
      boolean watched = now - lastViewMs < WATCHED_FOR.toMillis();
      Reading r = reader.read(watched);
      ChainStatus c = r.chain();
      Long slot =
          c.stages().get("source") instanceof SourceStatus s && s.slotLagBytes() >= 0
              ? s.slotLagBytes()
              : null;
      history.record(r.atMs(), c.endToEndLagMs(), r.captured(), r.applied(), slot);
      JsonNode ready = null;
      if (readiness != null) {
        try {
          ready = readiness.apply(c);
        } catch (RuntimeException e) {
          log.debug("Cutover readiness not evaluated: {}", e.toString());
        }
      }
      latestPending = r.pending();
      latest = DashboardModel.build(r, history.points(r.atMs()), ready, System.currentTimeMillis());
    } catch (RuntimeException e) {
      // The page keeps its last state (its "read ... ago" shows the age); the next tick retries.
      log.warn("Dashboard reading failed: {}", e.toString());
    }
  }

  private void root(HttpExchange ex) throws IOException {
    if (!ex.getRequestURI().getPath().equals("/")) {
      send(ex, 404, "text/plain; charset=utf-8", "not found".getBytes(StandardCharsets.UTF_8));
      return;
    }
    String q = ex.getRequestURI().getRawQuery();
    ex.getResponseHeaders().set("Location", PATH + "/" + (q == null ? "" : "?" + q));
    ex.sendResponseHeaders(302, -1);
    ex.close();
  }

  private void serve(HttpExchange ex) throws IOException {
    if (!authorized(ex)) {
      ex.getResponseHeaders().set("WWW-Authenticate", "Bearer realm=\"pgconvex dashboard\"");
      send(
          ex,
          401,
          "application/json",
          Json.writeBytes(
              Map.of(
                  "error",
                  "this dashboard needs its token: open it with ?token=... (dashboard.token)")));
      return;
    }
    if (!ex.getRequestMethod().equals("GET") && !ex.getRequestMethod().equals("HEAD")) {
      send(ex, 405, "text/plain; charset=utf-8", "GET only".getBytes(StandardCharsets.UTF_8));
      return;
    }
    String path = ex.getRequestURI().getPath();
    String rest = path.length() <= PATH.length() ? "" : path.substring(PATH.length() + 1);
    if (path.equals(STATE_PATH)) {
      long now = System.currentTimeMillis();
      if (now - lastViewMs >= WATCHED_FOR.toMillis()) {
        // a new viewer: read the viewer-only parts now rather than at the next tick
        try {
          sampler.execute(this::sample);
        } catch (java.util.concurrent.RejectedExecutionException closed) {
          // closing: the last state is served
        }
      }
      lastViewMs = now;
      ObjectNode s = latest;
      byte[] body = Json.writeBytes(s == null ? Json.NODES.objectNode().put("loading", true) : s);
      send(ex, 200, "application/json", body);
      return;
    }
    if (rest.equals("pending.json")) {
      JsonNode p = latestPending;
      send(
          ex,
          200,
          "application/json",
          Json.writeBytes(
              p == null
                  ? Json.NODES
                      .objectNode()
                      .put("pendingRows", 0)
                      .set("rows", Json.NODES.arrayNode())
                  : p));
      return;
    }
    if (rest.isEmpty() && !path.endsWith("/")) {
      String q = ex.getRequestURI().getRawQuery();
      ex.getResponseHeaders().set("Location", PATH + "/" + (q == null ? "" : "?" + q));
      ex.sendResponseHeaders(302, -1);
      ex.close();
      return;
    }
    String file = rest.isEmpty() ? "index.html" : rest;
    String type = ASSETS.get(file);
    if (type == null) {
      send(ex, 404, "text/plain; charset=utf-8", "not found".getBytes(StandardCharsets.UTF_8));
      return;
    }
    try (InputStream in = Dashboard.class.getResourceAsStream(WEB + file)) {
      if (in == null) {
        send(ex, 404, "text/plain; charset=utf-8", "not found".getBytes(StandardCharsets.UTF_8));
        return;
      }
      send(ex, 200, type, in.readAllBytes());
    }
  }

  /** The cookie a page opened with {@code ?token=} gets, so its assets and JSON need no query. */
  static final String COOKIE = "pgconvex_dashboard_token";

  /**
   * With no token set, every request; else one carrying it ({@code Authorization: Bearer}, {@code
   * ?token=}, or the cookie a page opened with {@code ?token=} was given: HttpOnly,
   * SameSite=Strict, for {@code /dashboard} only). Compared in constant time.
   */
  boolean authorized(HttpExchange ex) {
    if (token.isEmpty()) {
      return true;
    }
    String auth = ex.getRequestHeaders().getFirst("Authorization");
    if (auth != null
        && auth.regionMatches(true, 0, "Bearer ", 0, 7)
        && matches(auth.substring(7).trim())) {
      return true;
    }
    if (matches(queryParam(ex.getRequestURI().getRawQuery(), "token"))) {
      ex.getResponseHeaders()
          .add(
              "Set-Cookie",
              COOKIE
                  + "="
                  + java.net.URLEncoder.encode(token.reveal(), StandardCharsets.UTF_8)
                  + "; Path="
                  + PATH
                  + "; HttpOnly; SameSite=Strict");
      return true;
    }
    for (String header : ex.getRequestHeaders().getOrDefault("Cookie", List.of())) {
      for (String c : header.split(";")) {
        String kv = c.trim();
        if (kv.startsWith(COOKIE + "=")
            && matches(
                URLDecoder.decode(kv.substring(COOKIE.length() + 1), StandardCharsets.UTF_8))) {
          return true;
        }
      }
    }
    return false;
  }

  private boolean matches(String given) {
    return given != null
        && MessageDigest.isEqual(
            given.getBytes(StandardCharsets.UTF_8),
            token.reveal().getBytes(StandardCharsets.UTF_8));
  }

  static String queryParam(String rawQuery, String name) {
    if (rawQuery == null) {
      return null;
    }
    for (String part : rawQuery.split("&")) {
      int eq = part.indexOf('=');
      String k = eq < 0 ? part : part.substring(0, eq);
      if (URLDecoder.decode(k, StandardCharsets.UTF_8).equals(name)) {
        return eq < 0 ? "" : URLDecoder.decode(part.substring(eq + 1), StandardCharsets.UTF_8);
      }
    }
    return null;
  }

  private static void send(HttpExchange ex, int status, String type, byte[] body)
      throws IOException {
    var h = ex.getResponseHeaders();
    h.set("Content-Type", type);
    h.set("Cache-Control", "no-store");
    h.set("X-Content-Type-Options", "nosniff");
    h.set("X-Frame-Options", "DENY");
    h.set("Referrer-Policy", "no-referrer");
    h.set(
        "Content-Security-Policy",
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
            + " connect-src 'self'; frame-ancestors 'none'");
    boolean head = ex.getRequestMethod().equals("HEAD");
    ex.sendResponseHeaders(status, head ? -1 : body.length);
    if (!head) {
      try (OutputStream out = ex.getResponseBody()) {
        out.write(body);
      }
    }
    ex.close();
  }

  /** The endpoints read. */
  public List<String> endpoints() {
    return reader.endpoints();
  }

  @Override
  public void close() {
    sampler.shutdownNow();
  }
}
