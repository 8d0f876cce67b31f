package dev.pgconvex.transformer.resolve;

import dev.pgconvex.transformer.internals.IdUpdate;
import dev.pgconvex.transformer.internals.MarkerAlignment;
import dev.pgconvex.transformer.internals.MarkerMsg;
import dev.pgconvex.transformer.internals.Markers;
import dev.pgconvex.transformer.internals.Msg;
import dev.pgconvex.transformer.internals.PendingCounts;
import dev.pgconvex.transformer.internals.RefRequest;
import dev.pgconvex.transformer.internals.RefResponse;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Answers {@link RefRequest}s with parents' Convex ids. Fed by the requests (keyed by parent ref)
 * merged with the ids topic (keyed by doc ref, co-partitioned), it keeps {@code parent-ids} (parent
 * ref to id) and {@code subscriptions} ({@code parentRef NUL childRef NUL field} to the request's
 * position).
 *
 * <p>A request is answered at once: with the id, or with "not known yet" (null id; only when the
 * relation is optional), and it stays subscribed until the child withdraws it (re-parented or
 * deleted). A request that carries the id the assembler already used ({@link RefRequest#knownId})
 * is answered only when that id is wrong: with the current id, or {@link RefResponse#revoked} when
 * the parent has none. When the sink reports a parent id that differs from the one known (first id,
 * or the parent was deleted and created again), every subscriber is answered again. Keeping
 * subscriptions (as Kafka Streams' foreign-key join does) repairs the race where a child is
 * answered with the id of a parent version that was just replaced. Used by one stream thread.
 */
public final class Resolver implements Processor<String, Msg, String, Msg> {
  static final char SEP = '\u0000';

  private final String idsStoreName;
  private final String subscriptionsStoreName;
  private final PendingCounts counts;
  private final int partitions;
  private final MarkerAlignment markers;
  private ProcessorContext<String, Msg> context;
  private KeyValueStore<String, String> parentIds;
  private KeyValueStore<String, String> subscriptions;
  private String task;

  /** One marker sender and partition (tests of one task). */
  public Resolver(String idsStoreName, String subscriptionsStoreName, PendingCounts counts) {
    this(idsStoreName, subscriptionsStoreName, counts, 1);
  }

  /**
   * @param partitions assembler tasks a marker comes from, and ref-responses partitions it goes on
   *     to
   */
  public Resolver(
      String idsStoreName, String subscriptionsStoreName, PendingCounts counts, int partitions) {
    this.idsStoreName = idsStoreName;
    this.subscriptionsStoreName = subscriptionsStoreName;
    this.counts = counts;
    this.partitions = partitions;
    this.markers = new MarkerAlignment(() -> partitions);
  }

  @Override
  public void init(ProcessorContext<String, Msg> context) {
    this.context = context;
    this.parentIds = context.getStateStore(idsStoreName);
    this.subscriptions = context.getStateStore(subscriptionsStoreName);
    this.task = context.taskId().toString();
    // Processors are initialised after restoration: recount what waits for an unknown parent.
    long waiting = 0;
    try (KeyValueIterator<String, String> it = subscriptions.all()) {
      while (it.hasNext()) {
        String key = it.next().key;
        if (parentIds.get(key.substring(0, key.indexOf(SEP))) == null) {
          waiting++;
        }
      }
    }
    counts.resetRefs(task, waiting);
  }

  @Override
  public void close() {
    if (task != null) {
      counts.removeRefs(task);
    }
  }

  @Override
  public void process(Record<String, Msg> record) {
    Msg msg = record.value();
    if (msg == null || record.key() == null) {
      return;
    }
    if (msg instanceof Msg.Request r) {
      onRequest(record, r.request());
    } else if (msg instanceof Msg.Ids i) {
      onIds(record, i.ids());
    } else if (msg instanceof Msg.Marker m) {
      // Once from every assembler task: every request before it is answered (or subscribed), so
      // the marker goes on to every ref-responses partition behind those answers.
      markers
          .offer(m.marker())
          .ifPresent(
              aligned -> {
                MarkerMsg out =
                    aligned.sentBy(
                        "resolver:" + context.taskId().partition(), Markers.held(counts));
                for (int q = 0; q < partitions; q++) {
                  context.forward(record.withKey(Markers.key(q)).withValue(Msg.of(out)));
                }
              });
    }
  }

  private void onRequest(Record<String, Msg> record, RefRequest q) {
    String sub = q.parentRef() + SEP + q.childRef() + SEP + q.field();
    String id = parentIds.get(q.parentRef());
    boolean fresh = subscriptions.get(sub) == null;
    if (q.cancel()) {
      if (!fresh) {
        subscriptions.delete(sub);
        if (id == null) {
          counts.addRefs(task, -1);
        }
      }
      return;
    }
    subscriptions.put(sub, q.position());
    if (id == null && fresh) {
      counts.addRefs(task, 1);
    }
    // A request without a known id is answered unless it is "not known yet" to a required
    // relation (which waits for the id either way, and gets it when the sink reports it). One
    // with the id the assembler used (its cache) is answered only when that id is wrong: the
    // usual case saves the hop back. No id at all then means deleted since: revoked.
    boolean answer =
        q.knownId() == null
            ? id != null || !Boolean.TRUE.equals(q.required())
            : !q.knownId().equals(id);
    if (answer) {
      boolean revoked = q.knownId() != null && id == null;
      respond(
          record,
          new RefResponse(q.childRef(), q.field(), q.parentRef(), id, q.position(), revoked));
    }
  }

  private void onIds(Record<String, Msg> record, IdUpdate u) {
    String parentRef = record.key();
    String old = parentIds.get(parentRef);
    if (u.id() == null) {
      if (old != null) {
        parentIds.delete(parentRef);
        counts.addRefs(task, forEachSubscriber(parentRef, null, record));
      }
      return;
    }
    if (u.id().equals(old)) {
      return; // the parent was rewritten in place: its children already have this id
    }
    parentIds.put(parentRef, u.id());
    long answered = forEachSubscriber(parentRef, u.id(), record);
    if (old == null) {
      counts.addRefs(task, -answered);
    }
  }

  /**
   * Answers every subscriber of {@code parentRef} with {@code id} (counts only when null),
   * streaming over the store so a parent with millions of children needs no memory for them.
   */
  private long forEachSubscriber(String parentRef, String id, Record<String, Msg> record) {
    long n = 0;
    try (KeyValueIterator<String, String> it =
        subscriptions.prefixScan(parentRef + SEP, new StringSerializer())) {
      while (it.hasNext()) {
        KeyValue<String, String> kv = it.next();
        n++;
        if (id != null) {
          String rest = kv.key.substring(parentRef.length() + 1);
          int sep = rest.indexOf(SEP);
          respond(
              record,
              new RefResponse(
                  rest.substring(0, sep), rest.substring(sep + 1), parentRef, id, kv.value));
        }
      }
    }
    return n;
  }

  private void respond(Record<String, Msg> record, RefResponse r) {
    context.forward(record.withKey(r.childRef()).withValue(Msg.of(r)));
  }
}
