package dev.pgconvex.sink.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pgconvex.common.config.Secret;
import dev.pgconvex.common.json.Json;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import okhttp3.Call;
import okhttp3.Callback;
import okhttp3.ConnectionPool;
import okhttp3.Dispatcher;
import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okhttp3.ResponseBody;

/**
 * Calls Convex functions over its HTTP API ({@code POST <url>/api/mutation}, {@code /api/query})
 * with {@code Authorization: Convex <admin key>}, and turns every failure into a {@link
 * ConvexException} whose type says whether to retry.
 *
 * <p>Owns one {@link OkHttpClient} (own connection pool and dispatcher, {@code TCP_NODELAY}
 * sockets); {@link #close()} releases them. Calls block the calling thread (run on the client's
 * dispatcher, so an interrupt cancels them at once) and are thread-safe: the sink runs several on
 * its worker threads. Never retries by itself (OkHttp's silent connection retry is off) so that
 * every retry is counted and paced by the caller. The admin key never appears in logs or exception
 * messages.
 */
public final class ConvexClient implements AutoCloseable {
  private static final MediaType JSON = MediaType.get("application/json");
  private static final byte[] BODY_PATH = "{\"path\":".getBytes(StandardCharsets.UTF_8);
  private static final byte[] BODY_ARGS = ",\"args\":".getBytes(StandardCharsets.UTF_8);
  private static final byte[] BODY_END = ",\"format\":\"json\"}".getBytes(StandardCharsets.UTF_8);
  private static final Duration MAX_RETRY_AFTER = Duration.ofMinutes(5);

  private final HttpUrl baseUrl;
  private final Secret adminKey;
  private final OkHttpClient http;

  /**
   * @param url deployment URL, e.g. {@code https://happy-otter-123.convex.cloud} or {@code
   *     http://127.0.0.1:3210}
   * @param adminKey admin or deploy key allowed to run internal functions
   * @param requestTimeout whole-call timeout (connect, send, wait, read)
   * @param connectTimeout TCP connect timeout
   * @param maxConcurrentCalls connections kept for concurrent calls
   * @throws IllegalArgumentException when {@code url} is not an http(s) URL
   */
  public ConvexClient(
      String url,
      Secret adminKey,
      Duration requestTimeout,
      Duration connectTimeout,
      int maxConcurrentCalls) {
    HttpUrl parsed = HttpUrl.parse(Objects.requireNonNull(url, "url"));
    if (parsed == null) {
      throw new IllegalArgumentException("Not an http(s) URL: " + url);
    }
    this.baseUrl = parsed;
    this.adminKey = Objects.requireNonNull(adminKey, "adminKey");
    Dispatcher dispatcher =
        new Dispatcher(
            new ThreadPoolExecutor(
                0,
                Integer.MAX_VALUE,
                60,
                TimeUnit.SECONDS,
                new SynchronousQueue<>(),
                r -> {
                  Thread t = new Thread(r, "pgconvex-convex-http");
                  t.setDaemon(true);
                  return t;
                }));
    dispatcher.setMaxRequestsPerHost(Math.max(5, maxConcurrentCalls));
    this.http =
        new OkHttpClient.Builder()
            .dispatcher(dispatcher)
            .connectionPool(new ConnectionPool(maxConcurrentCalls + 2, 5, TimeUnit.MINUTES))
            .socketFactory(new NoDelaySocketFactory())
            .retryOnConnectionFailure(false)
            .callTimeout(requestTimeout)
            .readTimeout(requestTimeout)
            .writeTimeout(requestTimeout)
            .connectTimeout(connectTimeout)
            .addInterceptor(new LoggingInterceptor())
            .addInterceptor(new AuthInterceptor(adminKey))
            .build();
  }

  /**
   * Runs a mutation.
   *
   * @param path function path, e.g. {@code cdc/ingest:setCheckpoint}
   * @param args the arguments object (a JsonNode, record or map), Convex-encoded JSON
   * @return the function's return value (never null; JSON null when it returned nothing)
   * @throws ConvexException on any failure; the subtype says whether to retry
   */
  public JsonNode mutation(String path, Object args) {
    return call("mutation", path, Json.writeBytes(args));
  }

  /** Runs a mutation whose arguments are already serialized JSON (UTF-8). */
  public JsonNode mutationRaw(String path, byte[] argsJson) {
    return call("mutation", path, argsJson);
  }

  /** Runs a query; same contract as {@link #mutation}. */
  public JsonNode query(String path, Object args) {
    return call("query", path, Json.writeBytes(args));
  }

  private JsonNode call(String kind, String path, byte[] argsJson) {
    ByteArrayOutputStream body = new ByteArrayOutputStream(argsJson.length + 96);
    body.writeBytes(BODY_PATH);
    body.writeBytes(Json.writeBytes(path));
    body.writeBytes(BODY_ARGS);
    body.writeBytes(argsJson);
    body.writeBytes(BODY_END);
    Request request =
        new Request.Builder()
            .url(baseUrl.newBuilder().addPathSegment("api").addPathSegment(kind).build())
            .header("Convex-Client", "pgconvex-sink-0.1.0")
            .post(RequestBody.create(body.toByteArray(), JSON))
            .build();
    // Asynchronous call awaited here: a blocking socket read ignores interrupts, a cancelled call
    // does not, so an interrupted caller (shutdown) is released at once.
    Call call = http.newCall(request);
    CompletableFuture<Raw> result = new CompletableFuture<>();
    call.enqueue(
        new Callback() {
          @Override
          public void onFailure(Call c, IOException e) {
            result.completeExceptionally(e);
          }

          @Override
          public void onResponse(Call c, Response response) {
            try (response) {
              ResponseBody rb = response.body();
              byte[] bytes = rb == null ? new byte[0] : rb.bytes();
              result.complete(new Raw(response.code(), bytes, response.header("Retry-After")));
            } catch (IOException e) {
              result.completeExceptionally(e);
            }
          }
        });
    Raw raw;
    try {
      raw = result.get();
    } catch (InterruptedException e) {
      call.cancel();
      Thread.currentThread().interrupt();
      throw new ConvexInterruptedException("Interrupted while calling " + path, e);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof IOException io && isTimeout(io)) {
        throw new ConvexRetriableException(
            "Convex did not answer " + path + " in time (" + io.getMessage() + ")",
            -1,
            "timeout",
            null,
            io);
      }
      if (cause instanceof IOException io) {
        throw new ConvexRetriableException(
            "Connection to Convex failed during " + path + ": " + io, -1, "connection", null, io);
      }
      throw new ConvexFatalException(
          "Unexpected failure calling " + path + ": " + cause, -1, cause);
    }
    return interpret(raw.code, raw.body, raw.retryAfter, Instant.now(), path, adminKey);
  }

  private record Raw(int code, byte[] body, String retryAfter) {}

  // OkHttp reports its call timeout as an InterruptedIOException("timeout"), not a
  // SocketTimeoutException.
  private static boolean isTimeout(IOException e) {
    return e instanceof SocketTimeoutException
        || (e instanceof InterruptedIOException && "timeout".equals(e.getMessage()));
  }

  /**
   * Turns a response into the function's value or the matching exception. Package-private for
   * tests.
   */
  static JsonNode interpret(
      int code, byte[] body, String retryAfter, Instant now, String path, Secret key) {
    JsonNode json = null;
    try {
      json = body.length == 0 ? null : Json.parse(body);
    } catch (IllegalArgumentException e) {
      // Not JSON: a proxy's error page or similar; classified by status below.
    }
    if (code == 200 || code == 560) {
      if (json != null && "success".equals(json.path("status").asText())) {
        JsonNode value = json.get("value");
        return value == null ? Json.NODES.nullNode() : value;
      }
      if (json != null && "error".equals(json.path("status").asText())) {
        JsonNode data = json.get("errorData");
        return throwRejected(json.path("errorMessage").asText("(no message)"), code, data, key);
      }
      if (code == 560) {
        throw new ConvexRetriableException(
            "Convex answered 560 without a function result for " + path,
            code,
            "server_error",
            null,
            null);
      }
      throw new ConvexFatalException(
          "Convex answered 200 with an unexpected body for " + path + ": " + snippet(body, key),
          code,
          null);
    }
    String message =
        json != null && json.hasNonNull("message")
            ? redact(json.path("code").asText("") + ": " + json.get("message").asText(), key)
            : snippet(body, key);
    switch (code) {
      case 401, 403 -> throw new ConvexAuthException(code);
      case 400 -> {
        return throwRejected(message, code, json == null ? null : json.get("code"), key);
      }
      case 404 ->
          throw new ConvexFatalException(
              "Convex answered 404 for "
                  + path
                  + " ("
                  + message
                  + "): check convex.url and deploy the convex/ functions",
              code,
              null);
      case 429 ->
          throw new ConvexRateLimitedException(
              "Convex is rate limiting (429): " + message, parseRetryAfter(retryAfter, now));
      case 408 -> throw retriable(code, "request_timeout", message, retryAfter, now);
      case 409 -> throw retriable(code, "conflict", message, retryAfter, now);
      case 425 -> throw retriable(code, "too_early", message, retryAfter, now);
      case 503 -> throw retriable(code, "unavailable", message, retryAfter, now);
      default -> {
        if (code >= 500) {
          throw retriable(code, "server_error", message, retryAfter, now);
        }
        throw new ConvexFatalException(
            "Convex answered " + code + " for " + path + ": " + message, code, null);
      }
    }
  }

  private static ConvexRetriableException retriable(
      int code, String reason, String message, String retryAfter, Instant now) {
    return new ConvexRetriableException(
        "Convex answered " + code + " (" + message + ")",
        code,
        reason,
        parseRetryAfter(retryAfter, now),
        null);
  }

  private static JsonNode throwRejected(String message, int code, JsonNode data, Secret key) {
    throw new ConvexRejectedException(redact(message, key), code, data);
  }

  /**
   * Parses {@code Retry-After}: delay seconds or an HTTP date. Returns null when absent or
   * unparseable; capped at five minutes.
   */
  static Duration parseRetryAfter(String header, Instant now) {
    if (header == null || header.isBlank()) {
      return null;
    }
    Duration d;
    try {
      d = Duration.ofSeconds(Long.parseLong(header.trim()));
    } catch (NumberFormatException e) {
      try {
        d =
            Duration.between(
                now,
                ZonedDateTime.parse(header.trim(), DateTimeFormatter.RFC_1123_DATE_TIME)
                    .toInstant());
      } catch (RuntimeException e2) {
        return null;
      }
    }
    if (d.isNegative()) {
      return Duration.ZERO;
    }
    return d.compareTo(MAX_RETRY_AFTER) > 0 ? MAX_RETRY_AFTER : d;
  }

  private static String snippet(byte[] body, Secret key) {
    String text = new String(body, 0, Math.min(body.length, 300), StandardCharsets.UTF_8);
    return redact(text.isEmpty() ? "(empty body)" : text, key);
  }

  // Defence in depth: a proxy or a misconfigured server could echo the Authorization header.
  private static String redact(String text, Secret key) {
    return key.isEmpty() ? text : text.replace(key.reveal(), "[hidden]");
  }

  /** Releases connections and threads. Idempotent. */
  @Override
  public void close() {
    http.dispatcher().executorService().shutdown();
    http.connectionPool().evictAll();
  }
}
