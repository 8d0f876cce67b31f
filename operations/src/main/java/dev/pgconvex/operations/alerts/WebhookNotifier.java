package dev.pgconvex.operations.alerts;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pgconvex.common.json.Json;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Posts alert events to a Slack-compatible incoming webhook: {@code {"text": ..., "attachments":
 * [{"color", "fields": [{title, value, short}]}], "alert", "status", "severity", ...}}. Messages go
 * out in order on one thread; each is retried with capped exponential backoff and jitter ({@code
 * Retry-After} honoured) up to the configured attempts, then given up with a warning; an answer
 * such as 404 that no retry can fix is given up at once. A failing webhook never stops the
 * pipeline. The URL is a secret (a Slack URL holds a token): messages name its host only. The body
 * holds the alert's reason and figures, never keys, passwords or row contents. Thread-safe.
 */
public final class WebhookNotifier implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(WebhookNotifier.class);
  private static final long BACKOFF_INITIAL_MS = 500;
  private static final long BACKOFF_MAX_MS = 30_000;

  private final URI url;
  private final String pipeline;
  private final Duration timeout;
  private final int maxAttempts;
  private final HttpClient http;
  private final ExecutorService sender =
      Executors.newSingleThreadExecutor(
          r -> {
            Thread t = new Thread(r, "pgconvex-alert-webhook");
            t.setDaemon(true);
            return t;
          });
  private final AtomicLong delivered = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();

  /**
   * @param url the webhook (validated by {@link AlertRules#definition()})
   * @param pipeline the pipeline's name in the messages (its topic prefix)
   */
  public WebhookNotifier(String url, String pipeline, Duration timeout, int maxAttempts) {
    this.url = URI.create(url.strip());
    this.pipeline = pipeline;
    this.timeout = timeout;
    this.maxAttempts = maxAttempts;
    this.http = HttpClient.newBuilder().connectTimeout(timeout).build();
  }

  /** Queues {@code e} for posting; returns at once. */
  public void send(AlertEvent e) {
    String body = Json.write(body(e, pipeline));
    sender.execute(() -> post(e, body));
  }

  /** Messages the webhook accepted (2xx) so far. */
  public long delivered() {
    return delivered.get();
  }

  /** Messages given up so far. */
  public long failed() {
    return failed.get();
  }

  private void post(AlertEvent e, String body) {
    long backoff = BACKOFF_INITIAL_MS;
    String last = "";
    for (int attempt = 1; attempt <= maxAttempts; attempt++) {
      long waitMs = backoff;
      boolean told = false;
      try {
        HttpResponse<Void> r =
            http.send(
                HttpRequest.newBuilder(url)
                    .timeout(timeout)
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body))
                    .build(),
                HttpResponse.BodyHandlers.discarding());
        int code = r.statusCode();
        if (code / 100 == 2) {
          delivered.incrementAndGet();
          return;
        }
        last = "answered HTTP " + code;
        if (code / 100 == 4 && code != 408 && code != 429) {
          break; // a wrong URL or a refused body: retrying cannot help
        }
        Long retryAfter =
            r.headers().firstValue("Retry-After").map(WebhookNotifier::seconds).orElse(null);
        if (retryAfter != null) {
          // Capped before multiplying, so a huge header cannot overflow.
          waitMs = Math.min(retryAfter, BACKOFF_MAX_MS * 2 / 1000) * 1000;
          told = true;
        }
      } catch (IOException ex) {
        last =
            ex.getClass().getSimpleName() + (ex.getMessage() == null ? "" : ": " + ex.getMessage());
      } catch (InterruptedException ex) {
        Thread.currentThread().interrupt();
        last = "interrupted";
        break;
      }
      if (attempt < maxAttempts) {
        try {
          // Backoff between attempts, with jitter so many pipelines do not retry in step; a
          // Retry-After is waited in full (jitter only adds to it).
          long jitter = ThreadLocalRandom.current().nextLong(waitMs / 2 + 1);
          Thread.sleep(told ? waitMs + jitter / 4 : waitMs / 2 + jitter);
        } catch (InterruptedException ex) {
          Thread.currentThread().interrupt();
          break;
        }
        backoff = Math.min(backoff * 2, BACKOFF_MAX_MS);
      }
    }
    failed.incrementAndGet();
    log.warn(
        "Alert webhook at host {} did not take the {} message of {}: {}; check alerts.webhook.url"
            + " (the alert is still logged and in the pgconvex_alerts gauge)",
        url.getHost(),
        e.status().name().toLowerCase(java.util.Locale.ROOT),
        e.alert(),
        last.replace(url.toString(), url.getHost()));
  }

  private static Long seconds(String header) {
    try {
      return Math.max(0, Long.parseLong(header.trim()));
    } catch (NumberFormatException e) {
      return null; // an HTTP date: fall back to our own backoff
    }
  }

  /** The JSON body for {@code e}: Slack's {@code text} and attachment fields, plus plain keys. */
  static ObjectNode body(AlertEvent e, String pipeline) {
    String status = e.status() == AlertEvent.Status.RESOLVED ? "resolved" : "firing";
    String tag =
        switch (e.status()) {
          case FIRING -> "FIRING";
          case REPEAT -> "STILL FIRING";
          case RESOLVED -> "RESOLVED";
        };
    ObjectNode o = Json.NODES.objectNode();
    o.put(
        "text",
        "["
            + tag
            + "] "
            + e.alert()
            + " ("
            + e.severity().label()
            + ") on pipeline "
            + pipeline
            + ": "
            + e.reason()
            + (e.status() == AlertEvent.Status.RESOLVED ? "" : ". Fix: " + e.fix()));
    ArrayNode attachments = o.putArray("attachments");
    ObjectNode a = attachments.addObject();
    a.put(
        "color",
        e.status() == AlertEvent.Status.RESOLVED
            ? "good"
            : e.severity() == Severity.CRITICAL ? "danger" : "warning");
    ArrayNode fields = a.putArray("fields");
    field(fields, "alert", e.alert());
    field(fields, "status", status);
    field(fields, "severity", e.severity().label());
    field(fields, "pipeline", pipeline);
    field(fields, "since", Instant.ofEpochMilli(e.startsAtMs()).toString());
    field(fields, "threshold", Long.toString(e.threshold()));
    o.put("alert", e.alert());
    o.put("status", status);
    o.put("severity", e.severity().label());
    o.put("pipeline", pipeline);
    o.put("reason", e.reason());
    o.put("value", e.value());
    o.put("threshold", e.threshold());
    o.put("startsAt", Instant.ofEpochMilli(e.startsAtMs()).toString());
    o.put("at", Instant.ofEpochMilli(e.atMs()).toString());
    if (e.status() == AlertEvent.Status.RESOLVED) {
      o.put("endsAt", Instant.ofEpochMilli(e.atMs()).toString());
    }
    return o;
  }

  private static void field(ArrayNode fields, String title, String value) {
    fields.addObject().put("title", title).put("value", value).put("short", true);
  }

  /** Sends what is queued (waiting up to 10 s), then stops. */
  @Override
  public void close() {
    sender.shutdown();
    try {
      if (!sender.awaitTermination(10, TimeUnit.SECONDS)) {
        sender.shutdownNow();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      sender.shutdownNow();
    }
  }
}
