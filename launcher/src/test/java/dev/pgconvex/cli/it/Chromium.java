package dev.pgconvex.cli.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pgconvex.common.json.Json;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A headless Chromium driven over the Chrome DevTools protocol (a WebSocket of the JDK's own
 * client: no driver, no extra dependency). Debian's {@code chromium} package is installed with
 * apt-get when it is missing and this runs as root; {@link #find()} says why when it cannot be. Not
 * thread-safe.
 */
final class Chromium implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Chromium.class);
  private static final Duration CALL_TIMEOUT = Duration.ofSeconds(30);
  private static final List<String> NAMES =
      List.of("chromium", "chromium-browser", "google-chrome", "google-chrome-stable");

  private final Process process;
  private final WebSocket socket;
  private final AtomicInteger ids = new AtomicInteger();
  private final Map<Integer, CompletableFuture<JsonNode>> calls = new ConcurrentHashMap<>();

  /**
   * The browser's executable, installing Debian's package when missing (as root); or why not (the
   * test is skipped with that message).
   */
  static Found find() {
    Path exe = onPath();
    if (exe != null) {
      return new Found(exe, null);
    }
    if (!root() || onPath("apt-get") == null) {
      return new Found(
          null,
          "no chromium on PATH, and apt-get cannot install it here (not root, or no apt-get):"
              + " install Debian's chromium package to run this test");
    }
    log.info("chromium not found: installing Debian's package with apt-get (once per machine)");
    String out = run(List.of("apt-get", "install", "-y", "-q", "chromium"));
    if (onPath() == null) {
      out =
          run(List.of("apt-get", "update", "-q"))
              + run(List.of("apt-get", "install", "-y", "-q", "chromium"));
    }
    exe = onPath();
    return exe != null
        ? new Found(exe, null)
        : new Found(
            null,
            "chromium is not installed and 'apt-get install chromium' did not install it: "
                + out.lines().reduce((a, b) -> b).orElse(""));
  }

  private static boolean root() {
    try {
      return Integer.valueOf(0).equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid"));
    } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
      return "root".equals(System.getProperty("user.name"));
    }
  }

  /** The executable, or why there is none. */
  record Found(Path executable, String whyNot) {}

  private static Path onPath() {
    for (String n : NAMES) {
      Path p = onPath(n);
      if (p != null) {
        return p;
      }
    }
    return null;
  }

  private static Path onPath(String name) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
      Path p = Path.of(dir, name);
      if (Files.isExecutable(p)) {
        return p;
      }
    }
    return null;
  }

  private static String run(List<String> command) {
    try {
      ProcessBuilder b = new ProcessBuilder(command);
      b.environment().put("DEBIAN_FRONTEND", "noninteractive");
      Process p =
          b.redirectErrorStream(true)
              .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
              .start();
      p.getOutputStream().close();
      CompletableFuture<String> out =
          CompletableFuture.supplyAsync(
              () -> {
                try {
                  return new String(p.getInputStream().readAllBytes());
                } catch (IOException e) {
                  return e.toString();
                }
              });
      if (!p.waitFor(6, TimeUnit.MINUTES)) {
        p.destroyForcibly();
        return "timed out: " + String.join(" ", command);
      }
      return out.get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      return String.join(" ", command) + ": " + e;
    }
  }

  /** Starts a headless browser with one blank page of {@code width} x {@code height}. */
  Chromium(Path executable, Path profile, int width, int height) throws Exception {
    Files.createDirectories(profile);
    Files.deleteIfExists(profile.resolve("DevToolsActivePort"));
    process =
        new ProcessBuilder(
                executable.toString(),
                "--headless=new",
                "--no-sandbox", // as root in a container
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--no-first-run",
                "--disable-extensions",
                "--disable-background-networking",
                "--hide-scrollbars",
                "--remote-debugging-port=0",
                "--remote-allow-origins=*",
                "--user-data-dir=" + profile.toAbsolutePath(),
                "--window-size=" + width + "," + height,
                "about:blank")
            .redirectErrorStream(true)
            .redirectOutput(profile.resolve("chromium.log").toFile())
            .start();
    Path portFile = profile.resolve("DevToolsActivePort");
    Awaitility.await("chromium's DevToolsActivePort")
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(100))
        .until(() -> Files.exists(portFile) && Files.readAllLines(portFile).size() >= 2);
    int port = Integer.parseInt(Files.readAllLines(portFile).get(0).trim());
    HttpClient http = HttpClient.newHttpClient();
    String pageWs = null;
    for (JsonNode t :
        Json.parse(
            http.send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/json/list"))
                        .timeout(CALL_TIMEOUT)
                        .build(),
                    HttpResponse.BodyHandlers.ofString())
                .body())) {
      if (t.path("type").asText().equals("page")) {
        pageWs = t.path("webSocketDebuggerUrl").asText();
        break;
      }
    }
    if (pageWs == null) {
      throw new IllegalStateException("chromium shows no page target");
    }
    socket =
        http.newWebSocketBuilder()
            .buildAsync(URI.create(pageWs), new Listener())
            .get(CALL_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    call("Page.enable", Json.NODES.objectNode());
    call("Runtime.enable", Json.NODES.objectNode());
    // Script errors and refused content (the page's Content-Security-Policy) are collected, for
    // consoleErrors().
    call(
        "Page.addScriptToEvaluateOnNewDocument",
        Json.NODES
            .objectNode()
            .put(
                "source",
                "window.__errors = [];"
                    + "addEventListener('error', e => __errors.push('error: ' + e.message));"
                    + "document.addEventListener('securitypolicyviolation',"
                    + " e => __errors.push('CSP refused ' + e.violatedDirective + ' ' + e.blockedURI));"));
  }

  private final class Listener implements WebSocket.Listener {
    private final StringBuilder partial = new StringBuilder();

    @Override
    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
      partial.append(data);
      if (last) {
        JsonNode msg = Json.parse(partial.toString());
        partial.setLength(0);
        if (msg.has("id")) {
          CompletableFuture<JsonNode> f = calls.remove(msg.get("id").asInt());
          if (f != null) {
            if (msg.has("error")) {
              f.completeExceptionally(new IllegalStateException(msg.get("error").toString()));
            } else {
              f.complete(msg.path("result"));
            }
          }
        }
      }
      ws.request(1);
      return null;
    }
  }

  /** One DevTools call, its result. */
  JsonNode call(String method, ObjectNode params) throws Exception {
    int id = ids.incrementAndGet();
    CompletableFuture<JsonNode> f = new CompletableFuture<>();
    calls.put(id, f);
    ObjectNode msg = Json.NODES.objectNode().put("id", id).put("method", method);
    msg.set("params", params);
    socket.sendText(Json.write(msg), true).get(CALL_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    return f.get(CALL_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
  }

  /** Opens {@code url} in the page. */
  void navigate(String url) throws Exception {
    call("Page.navigate", Json.NODES.objectNode().put("url", url));
  }

  /** The value of a JavaScript expression in the page (JSON-able), thrown on an exception. */
  JsonNode eval(String expression) throws Exception {
    JsonNode r =
        call(
            "Runtime.evaluate",
            Json.NODES.objectNode().put("expression", expression).put("returnByValue", true));
    if (r.has("exceptionDetails")) {
      throw new IllegalStateException("page script failed: " + r.get("exceptionDetails"));
    }
    return r.path("result").path("value");
  }

  /** Sets the viewport, as a phone or a laptop screen would. */
  void viewport(int width, int height, boolean mobile) throws Exception {
    call(
        "Emulation.setDeviceMetricsOverride",
        Json.NODES
            .objectNode()
            .put("width", width)
            .put("height", height)
            .put("deviceScaleFactor", 1)
            .put("mobile", mobile));
  }

  /** A PNG of the whole page (beyond the viewport). */
  void screenshot(Path file) throws Exception {
    JsonNode metrics = call("Page.getLayoutMetrics", Json.NODES.objectNode());
    JsonNode size = metrics.path("cssContentSize");
    ObjectNode clip =
        Json.NODES
            .objectNode()
            .put("x", 0)
            .put("y", 0)
            .put("width", size.path("width").asDouble())
            .put("height", size.path("height").asDouble())
            .put("scale", 1);
    ObjectNode params =
        Json.NODES.objectNode().put("format", "png").put("captureBeyondViewport", true);
    params.set("clip", clip);
    String data = call("Page.captureScreenshot", params).path("data").asText();
    Files.createDirectories(file.toAbsolutePath().getParent());
    Files.write(file, Base64.getDecoder().decode(data));
  }

  /** Lines of the browser's console that mention errors (CSP refusals, failed scripts). */
  List<String> consoleErrors() throws Exception {
    List<String> out = new ArrayList<>();
    JsonNode errors = eval("JSON.stringify(window.__errors || [])");
    for (JsonNode e : Json.parse(errors.asText())) {
      out.add(e.asText());
    }
    return out;
  }

  @Override
  public void close() {
    try {
      socket.abort();
    } catch (RuntimeException e) {
      // closing anyway
    }
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
  }
}
