package dev.pgconvex.sink.internals;

import dev.pgconvex.common.json.Json;
import dev.pgconvex.common.model.DeadLetter;
import dev.pgconvex.common.model.Operation;
import dev.pgconvex.sink.batch.BatchApplier;
import dev.pgconvex.sink.batch.OpOutcome;
import dev.pgconvex.sink.batch.PendingOp;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;

/**
 * One batch of one partition, run on a worker thread: apply it, publish ids, tombstones and dead
 * letters, and wait for the producer's acks, so that the consumer thread may commit its offsets
 * once the returned {@link Done} is in hand. Heartbeat ops are done with their batch: counted in
 * {@code pgconvex.sink.heartbeats}, not as rows, and their commit time counts as applied.
 */
final class BatchWork implements Callable<BatchWork.Done> {
  /**
   * The result of a batch whose every op is handled (applied, skipped, dead-lettered, or a
   * heartbeat).
   *
   * @param lastOffset offset of the batch's last record
   * @param maxPosition highest position among its ops (heartbeats included), or null
   * @param commitTsAtMax source commit time of that op
   * @param appliedCommitTs newest source commit time the batch shows applied in Convex: of an op
   *     Convex applied or skipped (it holds that change or a newer one) or of a heartbeat; 0 if
   *     none
   */
  record Done(long lastOffset, String maxPosition, long commitTsAtMax, long appliedCommitTs) {}

  private final List<PendingOp> ops;
  private final BatchApplier applier;
  private final Producer<String, String> producer;
  private final String idsTopic;
  private final String dlqTopic;
  private final SinkMetrics metrics;
  private final Runnable release;
  private final java.util.function.LongConsumer appliedCommitTs;
  private final java.util.function.LongConsumer perOpApplied;

  BatchWork(
      List<PendingOp> ops,
      BatchApplier applier,
      Producer<String, String> producer,
      String idsTopic,
      String dlqTopic,
      SinkMetrics metrics,
      Runnable release,
      java.util.function.LongConsumer appliedCommitTs,
      java.util.function.LongConsumer perOpApplied) {
    this.ops = ops;
    this.applier = applier;
    this.producer = producer;
    this.idsTopic = idsTopic;
    this.dlqTopic = dlqTopic;
    this.metrics = metrics;
    this.release = release;
    this.appliedCommitTs = appliedCommitTs;
    this.perOpApplied = perOpApplied;
  }

  @Override
  public Done call() throws InterruptedException, ExecutionException {
    try {
      List<OpOutcome> outcomes = applier.apply(ops);
      List<ProducerRecord<String, String>> acks = new ArrayList<>();
      Map<String, long[]> applied = new LinkedHashMap<>();
      Map<String, long[]> skipped = new LinkedHashMap<>();
      String maxPosition = null;
      long commitTsAtMax = 0;
      long maxCommitTs = 0;
      long knownApplied = 0;
      long heartbeats = 0;
      for (OpOutcome o : outcomes) {
        PendingOp p = o.op();
        Operation op = p.op();
        if (op != null && (maxPosition == null || op.position().compareTo(maxPosition) >= 0)) {
          maxPosition = op.position();
          commitTsAtMax = op.commitTs();
        }
        switch (o.status()) {
          case HEARTBEAT -> {
            heartbeats++;
            knownApplied = Math.max(knownApplied, op.commitTs());
          }
          // Confirmed by the applier after the ops before it: a point in the WAL now applied.
          case MARKER -> knownApplied = Math.max(knownApplied, op.commitTs());
          case APPLIED -> {
            applied.computeIfAbsent(op.table(), t -> new long[1])[0]++;
            maxCommitTs = Math.max(maxCommitTs, op.commitTs());
            knownApplied = Math.max(knownApplied, op.commitTs());
            String ref = op.table() + "/" + op.key();
            if (o.id() != null) {
              Map<String, String> value = new LinkedHashMap<>();
              value.put("id", o.id());
              value.put("position", op.position());
              acks.add(new ProducerRecord<>(idsTopic, ref, Json.write(value)));
            } else if (op.op() == Operation.Kind.DELETE) {
              acks.add(new ProducerRecord<>(idsTopic, ref, null));
            } else {
              // The contract says an applied upsert or patch returns the live document's id:
              // without one no ids record is written and children of this row stay held.
              metrics.idSkipped(
                  op.table(),
                  () ->
                      "Convex applied "
                          + op.op().name().toLowerCase(java.util.Locale.ROOT)
                          + " of "
                          + ref
                          + " at "
                          + op.position()
                          + " but returned no id, so no "
                          + idsTopic
                          + " record is written and rows referring to it stay held; the deployed"
                          + " cdc/ingest functions do not match docs/contracts.md: deploy the"
                          + " ones of this version");
            }
          }
          case SKIPPED -> {
            skipped.computeIfAbsent(op.table(), t -> new long[1])[0]++;
            knownApplied = Math.max(knownApplied, op.commitTs());
          }
          case MISSING, DEAD_LETTER -> {
            DeadLetter dl =
                new DeadLetter(
                    "sink",
                    o.reason(),
                    p.topic(),
                    p.partition(),
                    p.offset(),
                    p.key(),
                    p.value(),
                    System.currentTimeMillis());
            acks.add(new ProducerRecord<>(dlqTopic, p.key(), Json.write(dl)));
            String reason =
                o.status() == OpOutcome.Status.MISSING
                    ? "missing"
                    : op == null ? "unreadable" : "rejected";
            metrics.deadLettered(
                op != null ? op.table() : tableOf(p.key()),
                reason,
                () ->
                    "Dead letter from "
                        + p.topic()
                        + " partition "
                        + p.partition()
                        + " offset "
                        + p.offset()
                        + " ("
                        + p.ref()
                        + "): "
                        + o.reason());
          }
        }
      }
      // Offsets may be committed only once ids and dead letters are durable.
      publish(acks);
      applied.forEach((t, n) -> metrics.applied(t, n[0]));
      skipped.forEach((t, n) -> metrics.skipped(t, n[0]));
      if (heartbeats > 0) {
        metrics.heartbeats(heartbeats);
      }
      if (maxCommitTs > 0) {
        appliedCommitTs.accept(maxCommitTs);
      }
      for (OpOutcome o : outcomes) {
        if (o.status() == OpOutcome.Status.APPLIED) {
          perOpApplied.accept(o.op().op().commitTs());
        }
      }
      return new Done(ops.get(ops.size() - 1).offset(), maxPosition, commitTsAtMax, knownApplied);
    } finally {
      release.run();
    }
  }

  /**
   * Sends the batch's ids and dead letters and waits until Kafka has them. A send Kafka gave up on
   * after its own retries ({@code delivery.timeout.ms}: a broker down, a leader moving) is sent
   * again after a capped backoff instead of failing the batch, which would stop the sink: the ids
   * records of a key that failed are all sent again in their order, so the compacted topic ends on
   * the batch's last value per key; a dead letter only when its own send failed, so none is written
   * twice. A failure Kafka calls not retriable (a record too large, no authorization) fails the
   * batch as before.
   */
  private void publish(List<ProducerRecord<String, String>> records)
      throws InterruptedException, ExecutionException {
    List<ProducerRecord<String, String>> pending = records;
    for (int attempt = 1; ; attempt++) {
      List<Future<RecordMetadata>> acks = new ArrayList<>(pending.size());
      for (ProducerRecord<String, String> r : pending) {
        acks.add(producer.send(r));
      }
      java.util.Set<ProducerRecord<String, String>> failed =
          java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
      java.util.Set<String> failedIds = new java.util.HashSet<>();
      Throwable cause = null;
      for (int i = 0; i < acks.size(); i++) {
        try {
          acks.get(i).get();
        } catch (ExecutionException e) {
          if (!(e.getCause() instanceof org.apache.kafka.common.errors.RetriableException)) {
            throw e;
          }
          ProducerRecord<String, String> r = pending.get(i);
          failed.add(r);
          if (r.topic().equals(idsTopic)) {
            failedIds.add(r.key());
          }
          cause = e.getCause();
        }
      }
      if (failed.isEmpty()) {
        return;
      }
      List<ProducerRecord<String, String>> again = new ArrayList<>();
      for (ProducerRecord<String, String> r : pending) {
        if (failed.contains(r) || (r.topic().equals(idsTopic) && failedIds.contains(r.key()))) {
          again.add(r);
        }
      }
      long delay = PUBLISH_BACKOFF.delayMs(attempt);
      metrics.onProducerRetry(again.size());
      LOG.warn(
          "Kafka did not take {} of the batch's ids and dead-letter records ({}): sending {} again"
              + " in {} ms (attempt {}); the batch's offsets wait",
          failed.size(),
          cause.getMessage(),
          again.size(),
          delay,
          attempt + 1);
      Thread.sleep(delay);
      pending = again;
    }
  }

  private static final dev.pgconvex.sink.batch.Backoff PUBLISH_BACKOFF =
      new dev.pgconvex.sink.batch.Backoff(200, 30_000);

  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(BatchWork.class);

  /** The table of a doc ref ({@code table/key}), or {@code unknown}. */
  private static String tableOf(String ref) {
    int slash = ref == null ? -1 : ref.indexOf('/');
    return slash > 0 ? ref.substring(0, slash) : "unknown";
  }
}
