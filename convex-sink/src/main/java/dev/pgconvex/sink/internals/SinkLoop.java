package dev.pgconvex.sink.internals;

import dev.pgconvex.sink.batch.AimdLimiter;
import dev.pgconvex.sink.batch.BatchApplier;
import dev.pgconvex.sink.batch.PartitionBuffer;
import dev.pgconvex.sink.batch.PendingOp;
import dev.pgconvex.sink.http.ConvexInterruptedException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The consumer thread of the sink. Buffers records per partition, dispatches at most one batch per
 * partition to the workers (so every document's ops stay in order) while the {@link AimdLimiter}
 * permits, commits a partition's offsets only after its batch is applied and its ids and dead
 * letters are acknowledged, pauses partitions that have a full batch waiting (back-pressure without
 * leaving the group), and advances the Convex checkpoint.
 *
 * <p>Checkpoint rule (conservative): over the assigned partitions, take for each the highest
 * position among its handled ops; the checkpoint is the lowest of these, and it is not advanced
 * while a partition has consumed ops but none handled yet. Because each partition's ops come in
 * source order, every consumed op at or below that position is applied. Heartbeat ops count like
 * any op here, so the checkpoint (and its {@code commitTs}) moves while the database is idle.
 *
 * <p>End-to-end lag: each partition keeps the commit time of the newest change its done batches
 * show applied in Convex (an applied or skipped row, or a heartbeat); {@link #endToEndLagMs} is now
 * minus the lowest of these over the assigned partitions, so the slowest partition decides. A
 * partition starts from what this loop knew of it when it last owned it, else from the commit time
 * of Convex's checkpoint read at start (a lower bound), if any.
 *
 * <p>{@link #run()} runs on one thread; {@link #stop()} and the getters may be called from any.
 */
public final class SinkLoop implements Runnable {
  private static final Logger log = LoggerFactory.getLogger(SinkLoop.class);
  private static final long WAIT_NOTICE_NANOS = 5_000_000_000L;
  private static final int ENVELOPE_BYTES = 64;

  /** Settings of the loop. */
  public record Settings(
      String opsTopic,
      String idsTopic,
      String dlqTopic,
      int maxOps,
      int maxBytes,
      Duration linger,
      Duration shutdownTimeout,
      Duration checkpointInterval) {}

  private static final class PartitionState {
    PartitionState(long appliedCommitTs) {
      this.appliedCommitTs = appliedCommitTs;
    }

    final PartitionBuffer buffer = new PartitionBuffer();
    Future<BatchWork.Done> inFlight;
    boolean paused;
    String lastPosition;
    long lastCommitTs;
    // Commit time of the newest change known applied in Convex; 0 while none is.
    long appliedCommitTs;
  }

  private final Settings settings;
  private final Consumer<String, String> consumer;
  private final Producer<String, String> producer;
  private final BatchApplier applier;
  private final AimdLimiter limiter;
  private final ExecutorService workers;
  private final SinkMetrics metrics;
  private final Checkpointer checkpointer;
  private final java.util.function.LongConsumer onOpApplied;
  private final long storedCommitTs;
  private final Map<TopicPartition, PartitionState> states = new HashMap<>();
  // Applied commit time of partitions this loop owned before (consumer thread only).
  private final Map<TopicPartition, Long> appliedBefore = new HashMap<>();
  private final Map<TopicPartition, OffsetAndMetadata> toCommit = new HashMap<>();
  private final AtomicLong lastAppliedCommitTs = new AtomicLong();
  // Lowest per-partition applied commit time over the assigned partitions; 0 while unknown.
  private volatile long slowestAppliedCommitTs;
  private int rotation;
  private volatile boolean stopping;
  private volatile boolean pending;
  private volatile int assigned;
  private volatile Throwable failure;

  public SinkLoop(
      Settings settings,
      Consumer<String, String> consumer,
      Producer<String, String> producer,
      BatchApplier applier,
      AimdLimiter limiter,
      ExecutorService workers,
      SinkMetrics metrics,
      Checkpointer checkpointer,
      java.util.function.LongConsumer onOpApplied) {
    this(
        settings,
        consumer,
        producer,
        applier,
        limiter,
        workers,
        metrics,
        checkpointer,
        onOpApplied,
        0);
  }

  /**
   * As above; {@code storedCommitTs} is the commit time of the checkpoint Convex held at start
   * ({@link Checkpointer#storedCommitTs()}, 0 for none): until its first batch is done, an assigned
   * partition counts as applied up to it, so a sink restarted while a stage before it stands still
   * reports a growing lag instead of an unknown one.
   */
  public SinkLoop(
      Settings settings,
      Consumer<String, String> consumer,
      Producer<String, String> producer,
      BatchApplier applier,
      AimdLimiter limiter,
      ExecutorService workers,
      SinkMetrics metrics,
      Checkpointer checkpointer,
      java.util.function.LongConsumer onOpApplied,
      long storedCommitTs) {
    this.storedCommitTs = storedCommitTs;
    this.settings = settings;
    this.consumer = consumer;
    this.producer = producer;
    this.applier = applier;
    this.limiter = limiter;
    this.workers = workers;
    this.metrics = metrics;
    this.checkpointer = checkpointer;
    this.onOpApplied = onOpApplied;
  }

  /** Asks the loop to finish: stop fetching, finish or abandon in-flight batches, commit. */
  public void stop() {
    stopping = true;
  }

  /** The failure that stopped the loop, or null. */
  public Throwable failure() {
    return failure;
  }

  /** Highest source commit time among applied ops, epoch ms; 0 before the first. */
  public long lastAppliedCommitTs() {
    return lastAppliedCommitTs.get();
  }

  /**
   * Now minus the commit time of the newest change known applied in Convex (a row or a heartbeat)
   * on the slowest assigned partition; empty while unknown: no partition assigned, or one of them
   * with nothing applied since it was assigned and no checkpoint in Convex to start from.
   */
  public java.util.OptionalLong endToEndLagMs() {
    long ts = slowestAppliedCommitTs;
    return ts == 0
        ? java.util.OptionalLong.empty()
        : java.util.OptionalLong.of(Math.max(0, System.currentTimeMillis() - ts));
  }

  /** True while ops are buffered or in flight. */
  public boolean pending() {
    return pending;
  }

  public int assignedPartitions() {
    return assigned;
  }

  @Override
  public void run() {
    try {
      consumer.subscribe(List.of(settings.opsTopic()), new Rebalance());
      long waitingSince = System.nanoTime();
      long lastNotice = waitingSince;
      while (!stopping && failure == null) {
        ConsumerRecords<String, String> records = consumer.poll(pollTimeout());
        long now = System.nanoTime();
        if (assigned == 0 && now - lastNotice >= WAIT_NOTICE_NANOS) {
          // Say what it waits for: after a crash without a stable cdc.instance.id, Kafka waits
          // out the dead member's session before it assigns the partitions again.
          lastNotice = now;
          log.info(
              "Sink waiting {} s for Kafka to assign partitions of {}; after a crash without"
                  + " cdc.instance.id the dead member's session runs out first",
              (now - waitingSince) / 1_000_000_000L,
              settings.opsTopic());
        }
        for (ConsumerRecord<String, String> r : records) {
          PartitionState s = states.get(new TopicPartition(r.topic(), r.partition()));
          if (s != null) {
            s.buffer.add(
                PendingOp.raw(r.topic(), r.partition(), r.offset(), r.key(), r.value()), now);
          }
        }
        collectDone(states.keySet(), false);
        dispatch();
        updatePauses();
        commitAsync();
        maybeCheckpoint();
        updateSlowest();
      }
    } catch (WakeupException e) {
      // stop() during a poll
    } catch (RuntimeException | Error e) {
      failure = e;
      log.error("Sink loop failed: {}", e.toString(), e);
    } finally {
      shutdown();
    }
  }

  private Duration pollTimeout() {
    boolean busy = false;
    for (PartitionState s : states.values()) {
      if (s.inFlight != null || !s.buffer.isEmpty()) {
        busy = true;
        break;
      }
    }
    pending = busy;
    return busy
        ? Duration.ofMillis(Math.max(1, Math.min(5, settings.linger().toMillis())))
        : Duration.ofMillis(100);
  }

  private void dispatch() {
    long now = System.nanoTime();
    long lingerNanos = settings.linger().toNanos();
    List<PartitionState> order = new ArrayList<>(states.values());
    // Start at a different partition each time, so a lowered limit is shared fairly.
    int first = order.isEmpty() ? 0 : Math.floorMod(rotation++, order.size());
    for (int i = 0; i < order.size(); i++) {
      PartitionState s = order.get((first + i) % order.size());
      if (s.inFlight != null
          || !s.buffer.ready(settings.maxOps(), settings.maxBytes(), lingerNanos, now)) {
        continue;
      }
      if (!limiter.tryAcquire()) {
        return;
      }
      List<PendingOp> batch =
          s.buffer.drain(settings.maxOps(), settings.maxBytes() - ENVELOPE_BYTES, now);
      try {
        s.inFlight =
            workers.submit(
                new BatchWork(
                    batch,
                    applier,
                    producer,
                    settings.idsTopic(),
                    settings.dlqTopic(),
                    metrics,
                    limiter::release,
                    ts -> lastAppliedCommitTs.accumulateAndGet(ts, Math::max),
                    onOpApplied));
      } catch (RuntimeException ex) {
        limiter.release();
        throw ex;
      }
    }
  }

  /**
   * Takes the results of finished batches of {@code partitions}; with {@code wait}, first waits (up
   * to the shutdown timeout) for their in-flight batches and abandons those still running.
   */
  private void collectDone(Collection<TopicPartition> partitions, boolean wait) {
    long deadline = System.nanoTime() + settings.shutdownTimeout().toNanos();
    for (TopicPartition tp : partitions) {
      PartitionState s = states.get(tp);
      if (s == null || s.inFlight == null) {
        continue;
      }
      if (!s.inFlight.isDone() && !wait) {
        continue;
      }
      try {
        BatchWork.Done done =
            s.inFlight.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        toCommit.put(tp, new OffsetAndMetadata(done.lastOffset() + 1));
        if (done.maxPosition() != null
            && (s.lastPosition == null || done.maxPosition().compareTo(s.lastPosition) > 0)) {
          s.lastPosition = done.maxPosition();
          s.lastCommitTs = done.commitTsAtMax();
        }
        s.appliedCommitTs = Math.max(s.appliedCommitTs, done.appliedCommitTs());
        s.inFlight = null;
      } catch (TimeoutException e) {
        log.warn("Abandoning the in-flight batch of {}: not done in time", tp);
        s.inFlight.cancel(true);
        s.inFlight = null;
        s.buffer.clear();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        s.inFlight.cancel(true);
        s.inFlight = null;
        s.buffer.clear();
      } catch (CancellationException e) {
        s.inFlight = null;
        s.buffer.clear();
      } catch (ExecutionException e) {
        s.inFlight = null;
        Throwable cause = e.getCause();
        if (cause instanceof ConvexInterruptedException && stopping) {
          s.buffer.clear();
          continue;
        }
        if (failure == null) {
          failure = cause;
          log.error("Sink stops: {}", cause.getMessage(), cause);
        }
      }
    }
  }

  private void updatePauses() {
    List<TopicPartition> pause = new ArrayList<>();
    List<TopicPartition> resume = new ArrayList<>();
    for (Map.Entry<TopicPartition, PartitionState> e : states.entrySet()) {
      PartitionState s = e.getValue();
      // Full batch waiting behind the one in flight (or two full batches): stop fetching it.
      boolean full =
          s.buffer.size() >= settings.maxOps() || s.buffer.bytes() >= settings.maxBytes();
      boolean shouldPause =
          stopping || (s.inFlight != null && full) || s.buffer.size() >= 2 * settings.maxOps();
      if (shouldPause && !s.paused) {
        pause.add(e.getKey());
        s.paused = true;
      } else if (!shouldPause && s.paused) {
        resume.add(e.getKey());
        s.paused = false;
      }
    }
    if (!pause.isEmpty()) {
      consumer.pause(pause);
    }
    if (!resume.isEmpty()) {
      consumer.resume(resume);
    }
  }

  private void commitAsync() {
    if (toCommit.isEmpty()) {
      return;
    }
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>(toCommit);
    toCommit.clear();
    consumer.commitAsync(
        offsets,
        (o, e) -> {
          if (e != null) {
            // A later commit of the same partition supersedes this one.
            log.debug("Offset commit failed (a later one will cover it): {}", e.toString());
          }
        });
  }

  private void commitSync() {
    if (toCommit.isEmpty()) {
      return;
    }
    try {
      consumer.commitSync(new HashMap<>(toCommit), Duration.ofSeconds(30));
      toCommit.clear();
    } catch (RuntimeException e) {
      log.warn(
          "Offset commit failed; those batches will be re-applied (idempotent): {}", e.toString());
      toCommit.clear();
    }
  }

  private void maybeCheckpoint() {
    if (states.isEmpty()) {
      return;
    }
    String min = null;
    long ts = 0;
    for (PartitionState s : states.values()) {
      if (s.lastPosition == null) {
        if (!s.buffer.isEmpty() || s.inFlight != null) {
          return;
        }
        continue;
      }
      if (min == null || s.lastPosition.compareTo(min) < 0) {
        min = s.lastPosition;
        ts = s.lastCommitTs;
      }
    }
    if (min != null) {
      checkpointer.offer(min, ts);
    }
  }

  private void forget(TopicPartition tp, PartitionState s) {
    if (s != null && s.appliedCommitTs > 0) {
      appliedBefore.merge(tp, s.appliedCommitTs, Math::max);
    }
  }

  /** Publishes the slowest partition's applied commit time for {@link #endToEndLagMs}. */
  private void updateSlowest() {
    long min = Long.MAX_VALUE;
    for (PartitionState s : states.values()) {
      min = Math.min(min, s.appliedCommitTs);
    }
    slowestAppliedCommitTs = min == Long.MAX_VALUE ? 0 : min;
  }

  private void shutdown() {
    try {
      Set<TopicPartition> all = new HashSet<>(states.keySet());
      if (!all.isEmpty()) {
        try {
          consumer.pause(all);
        } catch (RuntimeException e) {
          log.debug("pause on shutdown: {}", e.toString());
        }
      }
      collectDone(all, true);
      commitSync();
      checkpointer.flush();
    } catch (RuntimeException e) {
      log.warn("Sink shutdown: {}", e.toString());
    } finally {
      pending = false;
    }
  }

  private final class Rebalance implements ConsumerRebalanceListener {
    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
      // Finish (or abandon after the shutdown timeout) their batches and commit what succeeded.
      collectDone(partitions, true);
      commitSync();
      for (TopicPartition tp : partitions) {
        forget(tp, states.remove(tp));
      }
      assigned = states.size();
      updateSlowest();
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> partitions) {
      // Someone else owns them already: nothing may be committed.
      for (TopicPartition tp : partitions) {
        PartitionState s = states.remove(tp);
        if (s != null && s.inFlight != null) {
          s.inFlight.cancel(true);
        }
        forget(tp, s);
        toCommit.remove(tp);
      }
      assigned = states.size();
      updateSlowest();
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
      for (TopicPartition tp : partitions) {
        // What is applied stays applied whoever owns the partition now: an eager rebalance that
        // hands the partition back keeps its lag known.
        states.putIfAbsent(
            tp, new PartitionState(Math.max(storedCommitTs, appliedBefore.getOrDefault(tp, 0L))));
      }
      assigned = states.size();
      updateSlowest();
      log.info("Sink assigned {}", partitions);
    }
  }
}
