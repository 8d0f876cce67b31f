package dev.pgconvex.transformer.resolve;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pgconvex.common.json.Json;
import dev.pgconvex.common.model.DeadLetter;
import dev.pgconvex.common.model.DocRef;
import dev.pgconvex.common.model.Operation;
import dev.pgconvex.common.model.Position;
import dev.pgconvex.transformer.internals.MarkerAlignment;
import dev.pgconvex.transformer.internals.MarkerMsg;
import dev.pgconvex.transformer.internals.Markers;
import dev.pgconvex.transformer.internals.Msg;
import dev.pgconvex.transformer.internals.PendingCounts;
import dev.pgconvex.transformer.internals.PendingCounts.HeldRow;
import dev.pgconvex.transformer.internals.RefRequest;
import dev.pgconvex.transformer.internals.RefResponse;
import dev.pgconvex.transformer.internals.RowChange;
import dev.pgconvex.transformer.internals.RowChange.RefChange;
import dev.pgconvex.transformer.internals.RowState;
import dev.pgconvex.transformer.internals.RowState.Rel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Assembles child documents: keeps each row's state in the {@code rows} store, asks the resolver
 * for the ids of parents it does not know ({@link RefRequest}, keyed by parent ref), applies the
 * answers ({@link RefResponse}) and emits {@link Operation}s keyed by the child ref.
 *
 * <p>Two topology nodes run this class on one task and one store: one fed by converted rows, one by
 * responses (Kafka Streams cannot merge a stream with one derived from it, so the two inputs share
 * the store instead, like its own foreign-key join). Used by one stream thread.
 *
 * <p>Orphans: the node that owns the counts runs a wall-clock punctuator that reports each row held
 * for a required parent longer than {@code orphanReportAfterMs} once to the dead-letter topic (a
 * {@link DeadLetter} forwarded downstream, keyed by the row's ref). The row keeps waiting and is
 * released as usual when the parent arrives; only the task's held rows are read, not the store.
 */
public final class Assembler implements Processor<String, Msg, String, Msg> {
  private static final Logger LOG = LoggerFactory.getLogger(Assembler.class);
  private final String storeName;
  private final PendingCounts counts;
  private final boolean countsOwner;
  private final long orphanReportAfterMs;
  private final Map<String, String> sourceTopics;
  private final MarkerAlignment markers;
  private final int partitions;
  private final ParentIdCache idCaches;
  private ProcessorContext<String, Msg> context;
  private KeyValueStore<String, RowState> rows;
  private Map<String, String> idCache;
  private String task;

  /**
   * @param storeName the {@code rows} store
   * @param counts where held rows are counted
   * @param countsOwner true for exactly one of the two nodes of a task: it recounts the store at
   *     init (after a restore) and drops the task's counts at close; it also reports orphans
   * @param orphanReportAfterMs report a row held this long (wall clock, ms) for a required parent
   *     to the dead-letter topic; 0 never
   * @param sourceTopics Debezium topic of each target table, named in the reports
   * @param markerSenders upstream tasks a marker comes from (converter tasks for the rows node,
   *     resolver tasks for the responses node)
   * @param partitions partitions of the ref-requests topic: the rows node sends a marker on to each
   * @param idCaches the parent ids both nodes of a task share, or null for none. The responses node
   *     fills it from the resolver's answers; the rows node writes a child at once with a cached id
   *     and still subscribes, telling the resolver the id it used ({@link RefRequest#knownId}),
   *     which answers only when that id is wrong
   */
  public Assembler(
      String storeName,
      PendingCounts counts,
      boolean countsOwner,
      long orphanReportAfterMs,
      Map<String, String> sourceTopics,
      int markerSenders,
      int partitions,
      ParentIdCache idCaches) {
    if (orphanReportAfterMs < 0) {
      throw new IllegalArgumentException("orphanReportAfterMs must be >= 0");
    }
    this.storeName = storeName;
    this.counts = counts;
    this.countsOwner = countsOwner;
    this.orphanReportAfterMs = orphanReportAfterMs;
    this.sourceTopics = Map.copyOf(sourceTopics);
    this.markers = new MarkerAlignment(() -> markerSenders);
    this.partitions = partitions;
    this.idCaches = idCaches;
  }

  /** The punctuation period for an orphan timeout: a quarter of it, at most 10 s, at least 1 ms. */
  static long checkPeriodMs(long orphanReportAfterMs) {
    return Math.max(1, Math.min(orphanReportAfterMs / 4, 10_000));
  }

  @Override
  public void init(ProcessorContext<String, Msg> context) {
    this.context = context;
    this.rows = context.getStateStore(storeName);
    this.idCache = idCaches == null ? null : idCaches.forTask(context.taskId());
    this.task = context.taskId().toString();
    if (countsOwner) {
      // Processors are initialised after restoration, so the store is complete here.
      Map<String, Long> held = new HashMap<>();
      Map<String, HeldRow> heldRows = new HashMap<>();
      try (KeyValueIterator<String, RowState> it = rows.all()) {
        it.forEachRemaining(
            kv -> {
              if (!kv.value.emitted()) {
                held.merge(DocRef.parse(kv.key).table(), 1L, Long::sum);
                heldRows.put(kv.key, HeldRow.of(kv.value));
              }
            });
      }
      counts.resetRows(task, held);
      counts.resetHeld(task, heldRows);
      if (orphanReportAfterMs > 0) {
        context.schedule(
            Duration.ofMillis(checkPeriodMs(orphanReportAfterMs)),
            PunctuationType.WALL_CLOCK_TIME,
            this::reportOrphans);
      }
    }
  }

  /**
   * Reports every held row of this task that has waited {@code orphanReportAfterMs} for a required
   * parent, once; starts the clock of rows stored before held-since times existed.
   */
  private void reportOrphans(long nowMs) {
    Long oldest = null;
    for (Map.Entry<String, HeldRow> e : counts.heldRows(task).entrySet()) {
      HeldRow h = e.getValue();
      if (!h.due(nowMs, orphanReportAfterMs)) {
        // Not due: no need to read the row (its state is what track() last recorded).
        if (h.waits() && h.sinceMs() != null) {
          oldest = oldest == null ? h.sinceMs() : Math.min(oldest, h.sinceMs());
        }
        continue;
      }
      String ref = e.getKey();
      RowState s = rows.get(ref);
      if (s != null && s.waitsForParent() && s.heldSinceMs() != null) {
        oldest = oldest == null ? s.heldSinceMs() : Math.min(oldest, s.heldSinceMs());
      }
      if (s == null || !s.waitsForParent() || s.orphanReported()) {
        continue;
      }
      if (s.heldSinceMs() == null) {
        RowState started = s.withHeld(nowMs, false);
        rows.put(ref, started);
        counts.held(task, ref, HeldRow.of(started));
      } else if (nowMs - s.heldSinceMs() >= orphanReportAfterMs) {
        DocRef d = DocRef.parse(ref);
        DeadLetter dead =
            new DeadLetter(
                "transformer",
                OrphanReport.reason(d, s, nowMs - s.heldSinceMs()),
                sourceTopics.get(d.table()),
                -1,
                -1,
                ref,
                Json.write(OrphanReport.json(d, s)),
                nowMs);
        context.forward(new Record<>(ref, Msg.of(dead), nowMs));
        RowState reported = s.withHeld(s.heldSinceMs(), true);
        rows.put(ref, reported);
        counts.held(task, ref, HeldRow.of(reported));
        counts.orphanReported(d.table());
        counts.orphanDeadLetter(d.table(), () -> "Orphan reported: " + dead.reason());
      }
    }
    counts.oldestHeldSince(task, oldest);
  }

  @Override
  public void close() {
    if (countsOwner && task != null) {
      counts.removeRows(task);
      if (idCaches != null) {
        idCaches.remove(context.taskId());
      }
    }
  }

  @Override
  public void process(Record<String, Msg> record) {
    Msg msg = record.value();
    if (msg == null) {
      return;
    }
    if (msg instanceof Msg.Row r) {
      onRow(record, r.row());
    } else if (msg instanceof Msg.Response r) {
      onResponse(record, r.response());
    } else if (msg instanceof Msg.Marker m) {
      onMarker(record, m.marker());
    }
  }

  /**
   * Once a marker came from every upstream task, every row and response before it is processed: the
   * rows node sends it on to every ref-requests partition (behind the requests it sent), so the
   * resolver's answers to those requests come back before it; the responses node writes the marker
   * op to its own ops partition, behind every op it and the rows node emitted there (the two nodes
   * share the task, so one producer writes both in order). Both add what is held now.
   */
  private void onMarker(Record<String, Msg> record, MarkerMsg copy) {
    markers
        .offer(copy)
        .ifPresent(
            aligned -> {
              int task = context.taskId().partition();
              long held = Markers.held(counts);
              if (countsOwner) {
                MarkerMsg out = aligned.sentBy("assembler:" + task, held);
                for (int r = 0; r < partitions; r++) {
                  context.forward(record.withKey(Markers.key(r)).withValue(Msg.of(out)));
                }
                return;
              }
              long h = Math.max(aligned.held(), held);
              ObjectNode doc = Json.NODES.objectNode();
              doc.put("pipeline", aligned.pipeline());
              doc.put("id", aligned.id());
              doc.put("lsn", aligned.lsn());
              doc.put("held", h);
              doc.put("sourceAt", aligned.sourceAt());
              doc.put("transformerAt", System.currentTimeMillis());
              Operation op =
                  Operation.marker(task, Position.of(aligned.lsn(), 0), aligned.commitTs(), doc);
              context.forward(record.withKey(Markers.key(task)).withValue(Msg.of(op)));
            });
  }

  private void onRow(Record<String, Msg> record, RowChange change) {
    String ref = change.ref();
    RowState prev = rows.get(ref);
    // A resync read carries the data as of the key's last change before it in the topic: it takes
    // that
    // change's position, so Convex applies it (equal) and any later change (higher LSN) still wins.
    RowChange c =
        change.resync() ? change.at(prev == null ? Position.SNAPSHOT : prev.position()) : change;
    List<RefRequest> requests = new ArrayList<>();
    if (prev != null && c.position().compareTo(prev.position()) < 0) {
      // A replay of an older change (duplicates after a restart, a re-read topic): expected, and
      // Convex would skip it anyway, so counted without a warning.
      counts.staleChange(DocRef.parse(ref).table());
      if (LOG.isDebugEnabled()) {
        LOG.debug(
            "Stale change of {} at {} dropped: the row's state is at {}",
            ref,
            c.position(),
            prev.position());
      }
      return;
    }
    if (c.kind() == Operation.Kind.DELETE) {
      if (prev != null) {
        for (Rel r : prev.relations()) {
          if (r.parentRef() != null) {
            requests.add(new RefRequest(r.parentRef(), ref, r.field(), prev.position(), true));
          }
        }
        rows.delete(ref);
        track(ref, prev, null);
      }
      emit(record, op(ref, Operation.Kind.DELETE, c.position(), c.commitTs(), c.txId(), null));
      send(record, requests);
      return;
    }
    boolean patch = c.kind() == Operation.Kind.PATCH;
    Map<String, Rel> rels = new LinkedHashMap<>();
    if (patch && prev != null) {
      prev.relations().forEach(r -> rels.put(r.field(), r)); // TOASTed relations keep their state
    }
    for (RefChange rc : c.refs()) {
      Rel old = prev == null ? null : prev.relation(rc.field());
      Rel next;
      if (rc.parentRef() == null) {
        next = new Rel(rc.field(), null, rc.optional(), null, false);
      } else if (old != null && old.samePointer(rc.parentRef()) && old.resolved()) {
        next =
            new Rel(
                rc.field(), rc.parentRef(), rc.optional(), old.resolvedId(), false); // no flicker
      } else {
        String cached = cachedId(rc.parentRef(), ref);
        next = new Rel(rc.field(), rc.parentRef(), rc.optional(), cached, false);
        requests.add(
            new RefRequest(
                rc.parentRef(), ref, rc.field(), c.position(), false, cached, !rc.optional()));
      }
      if (old != null && old.parentRef() != null && !old.samePointer(rc.parentRef())) {
        requests.add(new RefRequest(old.parentRef(), ref, old.field(), prev.position(), true));
      }
      rels.put(rc.field(), next);
    }
    ObjectNode doc;
    if (patch && prev != null) {
      doc = prev.doc().deepCopy();
      doc.setAll(c.doc());
    } else {
      doc = c.doc();
    }
    boolean partial = patch && (prev == null || prev.partial());
    RowState state =
        new RowState(
            c.position(),
            c.commitTs(),
            c.txId(),
            doc,
            new ArrayList<>(rels.values()),
            false,
            partial);
    if (state.ready()) {
      if (patch && (prev == null || prev.emitted())) {
        emit(record, changePatch(ref, c, state));
      } else {
        emit(record, full(ref, state));
      }
      state = state.withEmitted(true);
    }
    state = state.heldAfter(prev, context.currentSystemTimeMs());
    rows.put(ref, state);
    track(ref, prev, state);
    send(record, requests);
  }

  private void onResponse(Record<String, Msg> record, RefResponse r) {
    // The resolver's answers for one parent arrive in its order: the latest is its current id.
    if (idCache != null) {
      if (r.id() != null) {
        idCache.put(r.parentRef(), r.id());
      } else if (r.revoked()) {
        idCache.remove(r.parentRef());
      }
    }
    RowState state = rows.get(r.childRef());
    if (state == null) {
      return; // stale: the row was deleted since the request
    }
    Rel rel = state.relation(r.field());
    // Answers for one (parent, child, field) come from one resolver task, in order, so a matching
    // parent ref is enough; the request's position is not compared because a subscription
    // outlives the change that made it (the parent's id may change later).
    if (rel == null || !Objects.equals(rel.parentRef(), r.parentRef())) {
      return; // stale: re-parented since the request
    }
    if (r.revoked()) {
      onRevoked(record, r, state, rel);
      return;
    }
    if (r.id() == null ? rel.resolved() || rel.waiting() : r.id().equals(rel.resolvedId())) {
      return; // nothing new
    }
    RowState next = withRelation(state, r.field(), r.id(), r.id() == null);
    if (!state.emitted()) {
      if (next.ready()) {
        emit(record, full(r.childRef(), next));
        next = next.withEmitted(true);
      }
      next = next.heldAfter(state, context.currentSystemTimeMs());
    } else if (r.id() != null) {
      // Written already without this field (optional, pending) or with an id the parent no
      // longer has: set it at the same position.
      emit(record, fieldPatch(r.childRef(), state, r.field(), r.id()));
    }
    rows.put(r.childRef(), next);
    track(r.childRef(), state, next);
  }

  /**
   * The id this row was written with came from the cache, and the parent has none now (deleted
   * after the id was cached): the relation is "not known yet" again, as if the row had asked. An
   * optional field is removed by a patch; a row that needs the parent waits for it again (held,
   * counted, reported as an orphan in time) and is written in full once the parent has an id.
   */
  private void onRevoked(Record<String, Msg> record, RefResponse r, RowState state, Rel rel) {
    if (!rel.resolved()) {
      return; // answered since (answers arrive in order): nothing to take back
    }
    String table = DocRef.parse(r.childRef()).table();
    counts.parentIdCache(table, "revoked");
    RowState next = withRelation(state, r.field(), null, true);
    if (state.emitted() && rel.optional()) {
      emit(record, fieldPatch(r.childRef(), state, r.field(), null));
    } else if (state.emitted()) {
      next = next.withEmitted(false);
    }
    next = next.heldAfter(state, context.currentSystemTimeMs());
    rows.put(r.childRef(), next);
    track(r.childRef(), state, next);
  }

  /** {@code state} with relation {@code field}'s id and waiting flag replaced. */
  private static RowState withRelation(RowState state, String field, String id, boolean waiting) {
    List<Rel> rels = new ArrayList<>(state.relations().size());
    for (Rel x : state.relations()) {
      rels.add(
          x.field().equals(field)
              ? new Rel(x.field(), x.parentRef(), x.optional(), id, waiting)
              : x);
    }
    return state.withRelations(rels);
  }

  /** A patch of one reference field at the row's own position; a null id removes the field. */
  private static Operation fieldPatch(String ref, RowState state, String field, String id) {
    ObjectNode doc = Json.NODES.objectNode();
    if (id == null) {
      doc.putNull(field);
    } else {
      doc.put(field, id);
    }
    return op(ref, Operation.Kind.PATCH, state.position(), state.commitTs(), state.txId(), doc);
  }

  /** The cached id of {@code parentRef}, or null (no cache, or not cached), counted per table. */
  private String cachedId(String parentRef, String childRef) {
    if (idCache == null) {
      return null;
    }
    String id = idCache.get(parentRef);
    counts.parentIdCache(DocRef.parse(childRef).table(), id == null ? "miss" : "hit");
    return id;
  }

  /** The whole known document: an upsert, or a patch when no whole image was ever seen. */
  private static Operation full(String ref, RowState s) {
    ObjectNode doc = s.doc().deepCopy();
    for (Rel r : s.relations()) {
      if (r.resolved()) {
        doc.put(r.field(), r.resolvedId());
      } else if (s.partial() && r.parentRef() == null) {
        doc.putNull(r.field());
      }
    }
    return op(
        ref,
        s.partial() ? Operation.Kind.PATCH : Operation.Kind.UPSERT,
        s.position(),
        s.commitTs(),
        s.txId(),
        doc);
  }

  /** A TOAST patch of an already written row: the changed fields and the relations it carries. */
  private static Operation changePatch(String ref, RowChange c, RowState s) {
    ObjectNode doc = c.doc().deepCopy();
    for (RefChange rc : c.refs()) {
      Rel r = s.relation(rc.field());
      if (r.resolved()) {
        doc.put(r.field(), r.resolvedId());
      } else if (r.parentRef() == null) {
        doc.putNull(r.field()); // set to NULL: remove the field
      }
    }
    return op(ref, Operation.Kind.PATCH, c.position(), c.commitTs(), c.txId(), doc);
  }

  private static Operation op(
      String ref, Operation.Kind kind, String position, long commitTs, Long txId, ObjectNode doc) {
    DocRef d = DocRef.parse(ref);
    return new Operation(d.table(), d.key(), kind, position, commitTs, txId, doc);
  }

  private void emit(Record<String, Msg> record, Operation op) {
    context.forward(record.withKey(op.ref().toString()).withValue(Msg.of(op)));
  }

  private void send(Record<String, Msg> record, List<RefRequest> requests) {
    for (RefRequest q : requests) {
      context.forward(record.withKey(q.parentRef()).withValue(Msg.of(q)));
    }
  }

  /** Counts the row's move between held and not, and keeps its orphan clock for the check. */
  private void track(String ref, RowState before, RowState after) {
    long delta = (held(after) ? 1 : 0) - (held(before) ? 1 : 0);
    if (delta != 0) {
      counts.addRows(task, DocRef.parse(ref).table(), delta);
    }
    if (held(after)) {
      counts.held(task, ref, HeldRow.of(after));
    } else if (held(before)) {
      counts.released(task, ref);
    }
  }

  private static boolean held(RowState s) {
    return s != null && !s.emitted();
  }
}
