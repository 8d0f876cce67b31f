package dev.pgconvex.sink.batch;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pgconvex.sink.http.ConvexAuthException;
import dev.pgconvex.sink.http.ConvexClient;
import dev.pgconvex.sink.http.ConvexFatalException;
import dev.pgconvex.sink.http.ConvexInterruptedException;
import dev.pgconvex.sink.http.ConvexRateLimitedException;
import dev.pgconvex.sink.http.ConvexRejectedException;
import dev.pgconvex.sink.http.ConvexRetriableException;
import dev.pgconvex.sink.internals.BatchEvents;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies one batch of ops through {@code cdc/ingest:applyBatch} and reports the outcome of every
 * op, in order.
 *
 * <ul>
 *   <li>Transient failures (429, 503, other 5xx, 408, timeouts, dropped connections) are retried
 *       until they succeed, with capped exponential backoff and full jitter; a 429 also halves the
 *       {@link AimdLimiter} and its {@code Retry-After} is honoured.
 *   <li>A rejected batch (function error, 400) of more than one op is split in halves, in order,
 *       until the bad op is alone; it becomes a {@link OpOutcome.Status#DEAD_LETTER} and the other
 *       ops are applied.
 *   <li>{@link ConvexAuthException}, {@link ConvexFatalException} and {@link
 *       ConvexInterruptedException} propagate: nothing of the batch may be committed.
 *   <li>Heartbeat ops are never sent: each is {@link OpOutcome.Status#HEARTBEAT} in place, and a
 *       batch of heartbeats only makes no call at all.
 * </ul>
 *
 * <p>Thread-safe: several worker threads share one instance; a call blocks its thread.
 */
public final class BatchApplier {
  /** The mutation applying a batch (docs/contracts.md). */
  public static final String APPLY_BATCH = "cdc/ingest:applyBatch";

  /** The mutation confirming a marker (docs/contracts.md, "Markers"). */
  public static final String CONFIRM_MARKER = "cdc/markers:confirmMarker";

  private static final Logger log = LoggerFactory.getLogger(BatchApplier.class);
  private static final byte[] OPEN = "{\"ops\":[".getBytes(StandardCharsets.UTF_8);
  private static final byte[] CLOSE = "]}".getBytes(StandardCharsets.UTF_8);

  private final ConvexClient client;
  private final AimdLimiter limiter;
  private final Backoff backoff;
  private final BatchEvents events;
  // Since when every attempt failed transiently (System.nanoTime), 0 while calls succeed.
  private final java.util.concurrent.atomic.AtomicLong failingSince =
      new java.util.concurrent.atomic.AtomicLong();
  private volatile String lastFailure;

  public BatchApplier(
      ConvexClient client, AimdLimiter limiter, Backoff backoff, BatchEvents events) {
    this.client = Objects.requireNonNull(client, "client");
    this.limiter = Objects.requireNonNull(limiter, "limiter");
    this.backoff = Objects.requireNonNull(backoff, "backoff");
    this.events = Objects.requireNonNull(events, "events");
  }

  /**
   * Applies {@code ops} (in order; raw ones are parsed here) and returns one outcome per op, in the
   * same order.
   *
   * @throws ConvexAuthException the admin key was refused: stop
   * @throws ConvexFatalException Convex cannot take the calls (functions missing...): stop
   * @throws ConvexInterruptedException the thread was interrupted (flag set again): abandon
   */
  public List<OpOutcome> apply(List<PendingOp> ops) {
    List<OpOutcome> out = new ArrayList<>(ops.size());
    List<PendingOp> run = new ArrayList<>();
    List<OpOutcome> heartbeats = new ArrayList<>();
    // Unreadable records are dead-lettered in place, so outcomes stay in offset order. Heartbeats
    // do not break a run (no extra call): they take their place once the run's outcomes are in.
    for (PendingOp raw : ops) {
      PendingOp op = raw.parsed();
      if (op.op() == null) {
        applyValid(run, out);
        out.addAll(heartbeats);
        run = new ArrayList<>();
        heartbeats = new ArrayList<>();
        out.add(new OpOutcome(op, OpOutcome.Status.DEAD_LETTER, null, op.problem()));
      } else if (op.op().isMarker()) {
        // Everything before the marker is applied first, so its confirmation is true.
        applyValid(run, out);
        out.addAll(heartbeats);
        run = new ArrayList<>();
        heartbeats = new ArrayList<>();
        confirmMarker(op);
        out.add(new OpOutcome(op, OpOutcome.Status.MARKER, null, null));
      } else if (op.op().isHeartbeat()) {
        heartbeats.add(new OpOutcome(op, OpOutcome.Status.HEARTBEAT, null, null));
      } else {
        run.add(op);
      }
    }
    applyValid(run, out);
    out.addAll(heartbeats);
    return out;
  }

  private void applyValid(List<PendingOp> ops, List<OpOutcome> out) {
    if (ops.isEmpty()) {
      return;
    }
    JsonNode value;
    try {
      value = sendWithRetry(ops);
    } catch (ConvexRejectedException e) {
      if (ops.size() == 1) {
        PendingOp op = ops.get(0);
        // The dead letter is counted and warned once per (table, reason) by the caller.
        log.debug("Convex rejected {} at {}: {}", op.ref(), op.op().position(), e.errorMessage());
        out.add(new OpOutcome(op, OpOutcome.Status.DEAD_LETTER, null, rejectedReason(op, e)));
        return;
      }
      events.onSplit();
      int half = ops.size() / 2;
      applyValid(ops.subList(0, half), out);
      applyValid(ops.subList(half, ops.size()), out);
      return;
    }
    JsonNode results = value.path("results");
    if (!results.isArray() || results.size() != ops.size()) {
      throw new ConvexFatalException(
          APPLY_BATCH
              + " returned "
              + results.size()
              + " results for "
              + ops.size()
              + " ops; the deployed convex/ functions do not match this sink",
          200,
          null);
    }
    for (int i = 0; i < ops.size(); i++) {
      JsonNode r = results.get(i);
      PendingOp op = ops.get(i);
      String id = r.hasNonNull("id") ? r.get("id").asText() : null;
      String status = r.path("status").asText();
      out.add(
          switch (status) {
            case "applied" -> new OpOutcome(op, OpOutcome.Status.APPLIED, id, null);
            case "skipped" -> new OpOutcome(op, OpOutcome.Status.SKIPPED, id, null);
            case "missing" -> new OpOutcome(op, OpOutcome.Status.MISSING, null, missingReason(op));
            default ->
                throw new ConvexFatalException(
                    APPLY_BATCH + " returned an unknown status '" + status + "'", 200, null);
          });
    }
  }

  private JsonNode sendWithRetry(List<PendingOp> ops) {
    byte[] body = body(ops);
    return withRetry(
        ops,
        () -> {
          long start = System.nanoTime();
          JsonNode value = client.mutationRaw(APPLY_BATCH, body);
          events.onBatchApplied(ops.size(), System.nanoTime() - start);
          return value;
        });
  }

  /**
   * Records in Convex that every op before the marker in its partition is applied. Retried like a
   * batch; refused (an older deployment without {@code cdc/markers}, or a rejected call): warned,
   * counted, and the sink goes on, since a marker is no data (the cutover waiting for it times out
   * and says why).
   */
  private void confirmMarker(PendingOp op) {
    JsonNode m = op.op().doc();
    var args = dev.pgconvex.common.json.Json.NODES.objectNode();
    args.put("pipeline", m.path("pipeline").asText());
    args.put("marker", m.path("id").asText());
    args.put("partition", op.partition());
    args.put("position", op.op().position());
    args.put("held", m.path("held").asLong());
    args.put("sourceAt", m.path("sourceAt").asLong());
    args.put("transformerAt", m.path("transformerAt").asLong());
    try {
      withRetry(List.of(op), () -> client.mutation(CONFIRM_MARKER, args));
      events.onMarker(true);
    } catch (ConvexRejectedException | ConvexFatalException e) {
      events.onMarker(false);
      log.warn(
          "Convex refused to confirm marker {} of partition {} ({}): a cutover waiting for it"
              + " times out. Deploy this version's convex/cdc functions (cdc/markers)",
          m.path("id").asText(),
          op.partition(),
          e.getMessage());
    }
  }

  private JsonNode withRetry(List<PendingOp> ops, java.util.function.Supplier<JsonNode> call) {
    for (int attempt = 0; ; attempt++) {
      long waitMs;
      try {
        JsonNode value = call.get();
        limiter.onSuccess();
        failingSince.set(0);
        return value;
      } catch (ConvexRateLimitedException e) {
        limiter.onRateLimited(e.retryAfter().orElse(null));
        waitMs =
            Math.max(
                backoff.delayMs(attempt), TimeUnit.NANOSECONDS.toMillis(limiter.blockedNanos()));
        retried(e, ops, attempt, waitMs);
      } catch (ConvexRetriableException e) {
        long after = e.retryAfter().map(d -> d.toMillis()).orElse(0L);
        waitMs = Math.max(backoff.delayMs(attempt), after);
        retried(e, ops, attempt, waitMs);
      }
      try {
        // A wait between attempts, not a test wait: interruptible so shutdown can abandon it.
        Thread.sleep(waitMs);
      } catch (InterruptedException ie) {
        Thread.currentThread().interrupt();
        throw new ConvexInterruptedException("Interrupted while waiting to retry a batch", ie);
      }
    }
  }

  private void retried(ConvexRetriableException e, List<PendingOp> ops, int attempt, long waitMs) {
    events.onRetry(e.reason());
    failingSince.compareAndSet(0, System.nanoTime());
    lastFailure = e.getMessage();
    if (attempt == 0 || attempt % 10 == 9) {
      log.warn(
          "Batch of {} ops failed (attempt {}), retrying in {} ms: {}",
          ops.size(),
          attempt + 1,
          waitMs,
          e.getMessage());
    } else {
      log.debug("Batch of {} ops failed (attempt {}): {}", ops.size(), attempt + 1, e.getMessage());
    }
  }

  /**
   * How long calls have been failing transiently without a success in between; zero while they
   * succeed.
   */
  public java.time.Duration failingFor() {
    long since = failingSince.get();
    return since == 0
        ? java.time.Duration.ZERO
        : java.time.Duration.ofNanos(System.nanoTime() - since);
  }

  /** The message of the latest transient failure, or null. */
  public String lastFailure() {
    return lastFailure;
  }

  /** The request arguments {@code {"ops":[...]}}: each op's JSON as consumed, untouched. */
  static byte[] body(List<PendingOp> ops) {
    int size = OPEN.length + CLOSE.length;
    for (PendingOp op : ops) {
      size += op.sizeBytes();
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(size);
    out.writeBytes(OPEN);
    for (int i = 0; i < ops.size(); i++) {
      if (i > 0) {
        out.write(',');
      }
      out.writeBytes(ops.get(i).json());
    }
    out.writeBytes(CLOSE);
    return out.toByteArray();
  }

  private static String rejectedReason(PendingOp op, ConvexRejectedException e) {
    return "Convex rejected "
        + op.op().op().name().toLowerCase()
        + " of "
        + op.ref()
        + " at "
        + op.op().position()
        + " (HTTP "
        + e.httpStatus()
        + "): "
        + e.errorMessage()
        + "; fix the row or its mapping, then re-send the row (update it in Postgres) or replay this"
        + " record";
  }

  private static String missingReason(PendingOp op) {
    return "patch of "
        + op.ref()
        + " at "
        + op.op().position()
        + " found no document in Convex (its insert was never applied, was dead-lettered, or the"
        + " document was deleted by hand); nothing was written. Re-send the whole row (update it in"
        + " Postgres or re-snapshot the table)";
  }
}
