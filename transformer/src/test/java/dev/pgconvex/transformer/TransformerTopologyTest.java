package dev.pgconvex.transformer;

import static dev.pgconvex.transformer.Fixture.envelope;
import static dev.pgconvex.transformer.Fixture.row;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pgconvex.common.model.DeadLetter;
import dev.pgconvex.common.model.Operation;
import dev.pgconvex.common.model.Operation.Kind;
import dev.pgconvex.common.model.Position;
import dev.pgconvex.transformer.Fixture.Driver;
import dev.pgconvex.transformer.internals.InternalSerde;
import dev.pgconvex.transformer.internals.Msg;
import dev.pgconvex.transformer.internals.RefResponse;
import java.util.List;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class TransformerTopologyTest {
  private Driver d;

  @BeforeEach
  void setUp() {
    d = new Driver();
  }

  @AfterEach
  void tearDown() {
    d.close();
  }

  private static ObjectNode post(int id, Integer userId, Integer editorId) {
    return row("id", id, "title", "t" + id, "user_id", userId, "editor_id", editorId);
  }

  @Test
  void parentWithoutRelationsIsUpsertedWithPositionAndCommitMetadata() {
    d.send("users", "{\"id\":1}", envelope("c", null, row("id", 1, "name", "ann"), 0x16B3A28L, 3));

    List<Operation> ops = d.ops();
    assertThat(ops).hasSize(1);
    Operation op = ops.get(0);
    assertThat(op.table()).isEqualTo("users");
    assertThat(op.key()).isEqualTo("[1]");
    assertThat(op.op()).isEqualTo(Kind.UPSERT);
    assertThat(op.position())
        .isEqualTo(Position.of(0x16B3A28L, 3))
        .isEqualTo("00000000016B3A28:00000003");
    assertThat(op.commitTs()).isEqualTo(1_700_000_000_000L + 0x16B3A28L);
    assertThat(op.txId()).isEqualTo(0x16B3A28L / 10);
    assertThat(op.doc()).isEqualTo(row("id", 1, "name", "ann"));
  }

  @Test
  void snapshotReadHasSnapshotPositionAndNoTxId() {
    d.snapshot("users", row("id", 1, "name", "ann"));

    Operation op = d.ops().get(0);
    assertThat(op.op()).isEqualTo(Kind.UPSERT);
    assertThat(op.position()).isEqualTo(Position.SNAPSHOT);
    assertThat(op.txId()).isNull();
  }

  @Test
  void aColumnAddedInPostgresIsCountedAndNeverWritten() {
    d.create("users", row("id", 1, "name", "ann", "nickname", "a"), 100);
    d.create("users", row("id", 2, "name", "bob", "nickname", "b", "age", 3), 101);

    assertThat(d.ops())
        .extracting(Operation::doc)
        .containsExactly(row("id", 1, "name", "ann"), row("id", 2, "name", "bob"));
    assertThat(d.counts.unmappedColumns("users")).isEqualTo(2);
    assertThat(d.counts.unmappedColumns("posts")).isZero();
  }

  @Test
  void resyncReadTakesThePositionOfTheKeysLastChange() {
    d.create("users", row("id", 1, "name", "ann"), 100);
    d.update("users", row("id", 1, "name", "ann"), row("id", 1, "name", "bea"), 200);
    d.resyncRead("users", row("id", 1, "name", "bea"));
    d.resyncRead("users", row("id", 2, "name", "cid")); // never seen streaming: as a snapshot read

    List<Operation> ops = d.ops();
    assertThat(ops).hasSize(4);
    assertThat(ops.get(2).position())
        .isEqualTo(ops.get(1).position())
        .isNotEqualTo(Position.SNAPSHOT);
    assertThat(ops.get(2).doc()).isEqualTo(row("id", 1, "name", "bea"));
    assertThat(ops.get(3).position()).isEqualTo(Position.SNAPSHOT);

    // a change after the read still wins
    d.update("users", row("id", 1, "name", "bea"), row("id", 1, "name", "dee"), 300);
    assertThat(d.ops().get(0).position()).isGreaterThan(ops.get(2).position());
  }

  @Test
  void childAfterParentIdIsKnownIsUpsertedAtOnce() {
    d.id("users/[1]", "u1");
    d.create("posts", post(10, 1, null), 100);

    List<Operation> ops = d.ops();
    assertThat(ops).hasSize(1);
    assertThat(ops.get(0).doc()).isEqualTo(row("id", 10, "title", "t10", "authorId", "u1"));
    assertThat(d.counts.pendingRows()).isZero();
    assertThat(d.counts.pendingRefs()).isZero();
  }

  @Test
  void childBeforeParentIsHeldAndReleasedWhenTheParentsIdArrives() {
    d.create("posts", post(10, 1, null), 100);

    assertThat(d.ops()).isEmpty();
    assertThat(d.counts.pendingRows("posts")).isEqualTo(1);
    assertThat(d.counts.pendingRefs()).isEqualTo(1);
    assertThat(Transformer.pendingRows(d.rows(), 10))
        .containsExactly(
            new PendingRow(
                "posts/[10]",
                Position.of(100, 1),
                List.of(new PendingRow.Missing("authorId", "users/[1]"))));

    d.create("users", row("id", 1, "name", "ann"), 90);
    assertThat(d.ops()).extracting(Operation::table).containsExactly("users");
    d.id("users/[1]", "u1");

    List<Operation> ops = d.ops();
    assertThat(ops).hasSize(1);
    assertThat(ops.get(0).op()).isEqualTo(Kind.UPSERT);
    assertThat(ops.get(0).position()).isEqualTo(Position.of(100, 1));
    assertThat(ops.get(0).doc().get("authorId").asText()).isEqualTo("u1");
    assertThat(d.counts.pendingRows()).isZero();
    assertThat(d.counts.pendingRefs()).isZero();
    assertThat(Transformer.pendingRows(d.rows(), 10)).isEmpty();
  }

  @Test
  void compositeForeignKeyResolves() {
    d.send(
        "shipments",
        "{\"id\":5}",
        envelope("c", null, row("id", 5, "order_region", "eu", "order_num", 7), 100, 1));
    assertThat(d.ops()).isEmpty();

    d.id("orders/[\"eu\",7]", "o7");

    Operation op = d.ops().get(0);
    assertThat(op.ref().toString()).isEqualTo("shipments/[5]");
    assertThat(op.doc()).isEqualTo(row("id", 5, "orderId", "o7"));
  }

  @Test
  void selfReferenceIsOptionalAndPatchedLater() {
    d.create("categories", row("id", 1, "name", "root"), 100);
    d.create("categories", row("id", 2, "name", "leaf", "parent_id", 1), 110);

    List<Operation> first = d.ops();
    assertThat(first).extracting(Operation::op).containsExactly(Kind.UPSERT, Kind.UPSERT);
    assertThat(first.get(1).doc().has("parentId")).isFalse();

    d.id("categories/[1]", "c1");
    List<Operation> patch = d.ops();
    assertThat(patch).hasSize(1);
    assertThat(patch.get(0).op()).isEqualTo(Kind.PATCH);
    assertThat(patch.get(0).position()).isEqualTo(first.get(1).position());
    assertThat(patch.get(0).doc()).isEqualTo(row("parentId", "c1"));
  }

  @Test
  void severalForeignKeysRequiredFirstThenOptionalPatch() {
    d.create("posts", post(10, 1, 2), 100);
    assertThat(d.ops()).isEmpty();

    d.id("users/[2]", "u2"); // the optional one first: still held for the required one
    assertThat(d.ops()).isEmpty();

    d.id("users/[1]", "u1");
    List<Operation> ops = d.ops();
    assertThat(ops).hasSize(1);
    assertThat(ops.get(0).doc())
        .isEqualTo(row("id", 10, "title", "t10", "authorId", "u1", "editorId", "u2"));
  }

  @Test
  void optionalParentUnknownIsLeftOutThenPatched() {
    d.id("users/[1]", "u1");
    d.create("posts", post(10, 1, 2), 100);
    Operation upsert = d.ops().get(0);
    assertThat(upsert.doc()).isEqualTo(row("id", 10, "title", "t10", "authorId", "u1"));
    assertThat(d.counts.pendingRows()).isZero();
    assertThat(d.counts.pendingRefs()).isEqualTo(1);

    d.id("users/[2]", "u2");
    Operation patch = d.ops().get(0);
    assertThat(patch.op()).isEqualTo(Kind.PATCH);
    assertThat(patch.position()).isEqualTo(upsert.position());
    assertThat(patch.doc()).isEqualTo(row("editorId", "u2"));
  }

  @Test
  void unchangedResolvedParentIsReusedWithoutRoundTrip() {
    d.id("users/[1]", "u1");
    d.create("posts", post(10, 1, null), 100);
    d.ops();
    d.idDeleted("users/[1]"); // the resolver forgets it; the assembler must not need it again

    d.update("posts", post(10, 1, null), post(10, 1, null).put("title", "new"), 110);

    List<Operation> ops = d.ops();
    assertThat(ops).hasSize(1);
    assertThat(ops.get(0).doc().get("authorId").asText()).isEqualTo("u1");
    assertThat(ops.get(0).doc().get("title").asText()).isEqualTo("new");
  }

  @Test
  void reparentingToAKnownParentAndStaleAnswersIgnored() {
    d.create("posts", post(10, 1, null), 100); // waits for users/[1]
    d.id("users/[2]", "u2");
    d.update("posts", post(10, 1, null), post(10, 2, null), 110); // moved to users/[2]

    List<Operation> ops = d.ops();
    assertThat(ops).hasSize(1);
    assertThat(ops.get(0).position()).isEqualTo(Position.of(110, 1));
    assertThat(ops.get(0).doc().get("authorId").asText()).isEqualTo("u2");
    assertThat(d.counts.pendingRefs()).isZero(); // the old subscription was withdrawn

    d.id("users/[1]", "u1"); // the old parent arrives: nothing changes
    assertThat(d.ops()).isEmpty();
  }

  @Test
  void reparentingToAnUnknownRequiredParentHoldsTheUpdate() {
    d.id("users/[1]", "u1");
    d.create("posts", post(10, 1, null), 100);
    d.ops();

    d.update("posts", post(10, 1, null), post(10, 3, null), 110);
    assertThat(d.ops()).isEmpty();
    assertThat(d.counts.pendingRows("posts")).isEqualTo(1);

    d.id("users/[3]", "u3");
    Operation op = d.ops().get(0);
    assertThat(op.op()).isEqualTo(Kind.UPSERT);
    assertThat(op.position()).isEqualTo(Position.of(110, 1));
    assertThat(op.doc().get("authorId").asText()).isEqualTo("u3");
  }

  @Test
  void staleResponseForAnOlderPositionIsIgnored() {
    d.create("posts", post(10, 1, 5), 100); // waits for users/[1]; editor users/[5]
    d.update("posts", post(10, 1, 5), post(10, 1, 6), 110); // same author, new editor
    d.id("users/[5]", "u5"); // answer for the old editor: subscription withdrawn
    d.id("users/[1]", "u1");

    List<Operation> ops = d.ops();
    assertThat(ops).hasSize(1);
    assertThat(ops.get(0).position()).isEqualTo(Position.of(110, 1));
    assertThat(ops.get(0).doc().has("editorId")).isFalse();

    d.id("users/[6]", "u6");
    assertThat(d.ops().get(0).doc()).isEqualTo(row("editorId", "u6"));
  }

  @Test
  void referenceSetToNullDropsTheField() {
    d.id("users/[1]", "u1");
    d.id("users/[2]", "u2");
    d.create("posts", post(10, 1, 2), 100);
    assertThat(d.ops().get(0).doc().get("editorId").asText()).isEqualTo("u2");

    d.update("posts", post(10, 1, 2), post(10, 1, null), 110);
    Operation op = d.ops().get(0);
    assertThat(op.op()).isEqualTo(Kind.UPSERT);
    assertThat(op.doc().has("editorId")).isFalse();
    assertThat(op.doc().get("authorId").asText()).isEqualTo("u1");
  }

  @Test
  void parentKeyChangeArrivesAsDeleteCreateAndChildrenFollow() {
    d.create("users", row("id", 1, "name", "ann"), 100);
    d.id("users/[1]", "u1");
    d.create("posts", post(10, 1, null), 110);
    d.ops();

    // UPDATE users SET id = 2 ... ON UPDATE CASCADE: delete + create of the parent, update of the
    // child
    d.delete("users", row("id", 1, "name", "ann"), 120);
    d.create("users", row("id", 2, "name", "ann"), 120);
    d.update("posts", post(10, 1, null), post(10, 2, null), 121);

    List<Operation> ops = d.ops();
    assertThat(ops)
        .extracting(o -> o.op() + " " + o.ref())
        .containsExactly("DELETE users/[1]", "UPSERT users/[2]");
    d.idDeleted("users/[1]");
    d.id("users/[2]", "u2b");
    Operation child = d.ops().get(0);
    assertThat(child.ref().toString()).isEqualTo("posts/[10]");
    assertThat(child.doc().get("authorId").asText()).isEqualTo("u2b");
  }

  @Test
  void toastedColumnMakesAPatchWithoutTheField() {
    d.id("users/[1]", "u1");
    ObjectNode before = post(10, 1, null).put("body", "long text");
    d.create("posts", before, 100);
    d.ops();

    ObjectNode after =
        post(10, 1, null).put("title", "renamed").put("body", "__debezium_unavailable_value");
    d.update("posts", null, after, 110);

    Operation op = d.ops().get(0);
    assertThat(op.op()).isEqualTo(Kind.PATCH);
    // editor_id is NULL in the change: the patch removes the field (a no-op here)
    assertThat(op.doc())
        .isEqualTo(row("id", 10, "title", "renamed", "authorId", "u1", "editorId", null));
    assertThat(op.doc().toString()).doesNotContain("__debezium_unavailable_value");
  }

  @Test
  void toastPatchOfAHeldRowBecomesAWholeUpsertOnceReleased() {
    d.create("posts", post(10, 1, null).put("body", "long text"), 100);
    d.update(
        "posts",
        null,
        post(10, 1, null).put("title", "x").put("body", "__debezium_unavailable_value"),
        110);
    assertThat(d.ops()).isEmpty();

    d.id("users/[1]", "u1");
    Operation op = d.ops().get(0);
    assertThat(op.op()).isEqualTo(Kind.UPSERT);
    assertThat(op.position()).isEqualTo(Position.of(110, 1));
    assertThat(op.doc())
        .isEqualTo(row("id", 10, "title", "x", "body", "long text", "authorId", "u1"));
  }

  @Test
  void deleteIsEmittedAtOnceAndTombstoneIsConsumed() {
    d.create("posts", post(10, 1, null), 100); // held
    d.delete("posts", post(10, 1, null), 110);

    List<Operation> ops = d.ops();
    assertThat(ops).hasSize(1);
    assertThat(ops.get(0).op()).isEqualTo(Kind.DELETE);
    assertThat(ops.get(0).doc()).isNull();
    assertThat(ops.get(0).ref().toString()).isEqualTo("posts/[10]");
    assertThat(d.counts.pendingRows()).isZero();
    assertThat(d.counts.pendingRefs()).isZero();
    assertThat(d.deadLetters()).isEmpty();

    d.id("users/[1]", "u1"); // nothing is waiting any more
    assertThat(d.ops()).isEmpty();
  }

  @Test
  void deleteWithoutBeforeImageTakesTheKeyFromTheRecordKey() {
    d.send("users", "{\"id\":4}", envelope("d", null, null, 100, 1));
    Operation op = d.ops().get(0);
    assertThat(op.op()).isEqualTo(Kind.DELETE);
    assertThat(op.ref().toString()).isEqualTo("users/[4]");
  }

  @Test
  void badValueGoesToTheDeadLetterTopicAndTheNextRecordFlows() {
    // A value Convex cannot hold (over its 1 MiB limit): a bad row, not a changed schema.
    String huge = "x".repeat((1 << 20) + 10);
    d.send(
        "posts",
        "{\"id\":10}",
        envelope("c", null, d.full("posts", row("id", 10, "title", huge, "user_id", 1)), 100, 1));
    d.id("users/[1]", "u1");
    d.create("posts", post(11, 1, null), 110);

    List<DeadLetter> dead = d.deadLetters();
    assertThat(dead).hasSize(1);
    assertThat(dead.get(0).stage()).isEqualTo("transformer");
    assertThat(dead.get(0).reason()).startsWith("posts.title: string of").contains("1 MiB");
    assertThat(dead.get(0).topic()).isEqualTo("t.public.posts");
    assertThat(dead.get(0).key()).isEqualTo("{\"id\":10}");
    assertThat(dead.get(0).value()).contains("\"title\":\"xxx");
    assertThat(d.counts.deadLetters()).isEqualTo(1);
    assertThat(d.counts.deadLetters("posts", "bad_value")).isEqualTo(1);
    assertThat(d.ops()).extracting(o -> o.ref().toString()).containsExactly("posts/[11]");
  }

  @Test
  void malformedEventGoesToTheDeadLetterTopic() {
    d.send("users", "{\"id\":1}", "{not json");
    assertThat(d.deadLetters().get(0).reason()).contains("not JSON");
    assertThat(d.ops()).isEmpty();
    assertThat(d.counts.deadLetters("users", "not_json")).isEqualTo(1);
  }

  @Test
  void eventsWithoutAKeyOrAnAfterImageOrWithAnUnknownOpAreDeadLetteredPerReason() {
    d.send("users", null, envelope("c", null, row("name", "no id"), 100, 0));
    d.send("users", "{\"id\":2}", envelope("u", null, null, 110, 0));
    d.send("users", "{\"id\":3}", envelope("x", null, row("id", 3), 120, 0));

    assertThat(d.deadLetters())
        .extracting(DeadLetter::reason)
        .satisfiesExactly(
            r -> assertThat(r).contains("without the primary key [id]"),
            r -> assertThat(r).contains("without an after image"),
            r -> assertThat(r).contains("unsupported change event op 'x'"));
    assertThat(d.counts.deadLetters("users", "no_key")).isEqualTo(1);
    assertThat(d.counts.deadLetters("users", "no_after")).isEqualTo(1);
    assertThat(d.counts.deadLetters("users", "unsupported_op")).isEqualTo(1);
    assertThat(d.counts.deadLetters()).isEqualTo(3);
  }

  @Test
  void truncateIsReportedNotMirrored() {
    d.send("posts", null, envelope("t", null, null, 100, 0));
    List<DeadLetter> dead = d.deadLetters();
    assertThat(dead).hasSize(1);
    assertThat(dead.get(0).reason())
        .startsWith("truncate of public.posts is not mirrored; run a resync");
    assertThat(d.ops()).isEmpty();
    assertThat(d.counts.deadLetters("posts", "truncate")).isEqualTo(1);
    // The counter is tagged per table and reason (Prometheus form, as /metrics serves it).
    assertThat(d.registry.scrape())
        .contains(
            "pgconvex_transformer_dead_letters_total{reason=\"truncate\",table=\"posts\"} 1.0");
  }

  @Test
  void aTruncateAsTheSourceEmitsItIsDeadLetteredAndTheNextChangeFlows() {
    // The shape SkipPointsIT (cdc-source) reads from Kafka: no key, no images, op "t".
    d.send(
        "users",
        null,
        "{\"before\":null,\"after\":null,\"source\":{\"version\":\"3.6.3.Final\","
            + "\"connector\":\"postgresql\",\"name\":\"t\",\"ts_ms\":1700000000000,"
            + "\"snapshot\":\"false\",\"db\":\"app\",\"schema\":\"public\",\"table\":\"users\","
            + "\"txId\":801,\"lsn\":24023128},\"transaction\":null,\"op\":\"t\","
            + "\"ts_ms\":1700000000100}");
    d.create("users", row("id", 1, "name", "after the truncate"), 24023200);

    assertThat(d.deadLetters())
        .singleElement()
        .satisfies(
            dl -> {
              assertThat(dl.reason()).contains("truncate of public.users", "run a resync");
              assertThat(dl.key()).isNull();
            });
    assertThat(d.ops()).extracting(o -> o.ref().toString()).containsExactly("users/[1]");
  }

  @Test
  void timestampWithMillisecondPrecisionPassesThrough() {
    d.id("users/[1]", "u1");
    d.create("posts", post(10, 1, null).put("created_at", 1_704_103_200_123L), 100);
    assertThat(d.ops().get(0).doc().get("createdAt").asLong()).isEqualTo(1_704_103_200_123L);
  }

  @Test
  void primaryKeyChangeOfAChildIsDeletePlusCreate() {
    d.id("users/[1]", "u1");
    d.create("posts", post(10, 1, null), 100);
    d.delete("posts", post(10, 1, null), 110);
    d.create("posts", post(11, 1, null), 110);
    assertThat(d.ops())
        .extracting(o -> o.op() + " " + o.ref())
        .containsExactly("UPSERT posts/[10]", "DELETE posts/[10]", "UPSERT posts/[11]");
  }

  @Test
  void olderReplayedChangeIsDropped() {
    d.id("users/[1]", "u1");
    d.update("posts", null, post(10, 1, null).put("title", "new"), 200);
    d.update("posts", null, post(10, 1, null).put("title", "old"), 100);
    assertThat(d.ops()).extracting(o -> o.doc().get("title").asText()).containsExactly("new");
    assertThat(d.counts.staleChanges("posts")).isEqualTo(1);
    assertThat(d.registry.scrape())
        .contains("pgconvex_transformer_stale_changes_total{table=\"posts\"} 1.0");
  }

  @Test
  void aRequiredParentNotKnownYetIsNotAnsweredAnOptionalOneIs() {
    var responses =
        d.driver.createOutputTopic(
            "transformer-test-ref-responses-repartition",
            new StringDeserializer(),
            new InternalSerde<>(Msg.class).deserializer());
    d.create("posts", post(10, 1, null), 100); // required author, not known yet
    assertThat(responses.readValuesToList()).isEmpty();
    assertThat(d.counts.pendingRows("posts")).isEqualTo(1);
    assertThat(d.counts.pendingRefs()).isEqualTo(1);

    d.id("users/[2]", "u2");
    d.create("posts", post(11, 2, 3), 110); // optional editor, not known yet: answered
    assertThat(responses.readValuesToList())
        .extracting(m -> ((Msg.Response) m).response())
        .extracting(RefResponse::field, RefResponse::id)
        .containsExactlyInAnyOrder(tuple("authorId", "u2"), tuple("editorId", null));
    assertThat(d.ops()).extracting(Operation::key).containsExactly("[11]");

    d.id("users/[1]", "u1");
    assertThat(d.ops())
        .singleElement()
        .satisfies(o -> assertThat(o.doc().get("authorId").asText()).isEqualTo("u1"));
    assertThat(d.counts.pendingRows()).isZero();
  }

  @Test
  void aSecondChildOfAKnownParentIsWrittenFromTheCache() {
    d.id("users/[1]", "u1");
    d.create("posts", post(10, 1, null), 100);
    assertThat(d.ops().get(0).doc().get("authorId").asText()).isEqualTo("u1");
    assertThat(d.counts.parentIdCacheLookups("posts", "miss")).isEqualTo(1);

    d.create("posts", post(11, 1, null), 110);

    List<Operation> ops = d.ops();
    assertThat(ops).hasSize(1);
    assertThat(ops.get(0).op()).isEqualTo(Kind.UPSERT);
    assertThat(ops.get(0).doc().get("authorId").asText()).isEqualTo("u1");
    assertThat(d.counts.parentIdCacheLookups("posts", "hit")).isEqualTo(1);
    assertThat(d.registry.scrape())
        .contains("pgconvex_transformer_parent_id_cache_total{result=\"hit\",table=\"posts\"} 1.0");
    assertThat(d.counts.pendingRefs()).isZero();

    // still subscribed: a new id of the parent reaches the child written from the cache
    d.id("users/[1]", "u1b");
    assertThat(d.ops())
        .filteredOn(o -> o.key().equals("[11]"))
        .singleElement()
        .satisfies(o -> assertThat(o.doc()).isEqualTo(row("authorId", "u1b")));
  }

  @Test
  void aCachedIdTheParentNoLongerHasIsTakenBack() {
    d.id("users/[1]", "u1");
    d.id("users/[2]", "u2");
    d.create("posts", post(10, 1, null), 100);
    d.ops();
    // the parent is deleted (no foreign-key constraint holds it) after its id was cached
    d.idDeleted("users/[1]");
    assertThat(d.ops()).isEmpty();

    // a required author: written from the cache, then taken back, so the row waits again
    d.create("posts", post(11, 1, null), 110);
    assertThat(d.ops())
        .singleElement()
        .satisfies(o -> assertThat(o.doc().get("authorId").asText()).isEqualTo("u1"));
    assertThat(d.counts.parentIdCacheLookups("posts", "revoked")).isEqualTo(1);
    assertThat(d.counts.pendingRows("posts")).isEqualTo(1);

    // the parent comes back: the waiting row is written in full with the new id
    d.id("users/[1]", "u1new");
    assertThat(d.ops())
        .filteredOn(o -> o.key().equals("[11]"))
        .singleElement()
        .satisfies(
            o -> {
              assertThat(o.op()).isEqualTo(Kind.UPSERT);
              assertThat(o.position()).isEqualTo(Position.of(110, 1));
              assertThat(o.doc().get("authorId").asText()).isEqualTo("u1new");
            });
    assertThat(d.counts.pendingRows()).isZero();

    // an optional editor: written from the cache, then removed by a patch
    d.idDeleted("users/[1]");
    d.create("posts", post(12, 2, 1), 120);
    List<Operation> ops = d.ops();
    assertThat(ops).extracting(Operation::op).containsExactly(Kind.UPSERT, Kind.PATCH);
    assertThat(ops.get(0).doc().get("editorId").asText()).isEqualTo("u1new");
    assertThat(ops.get(1).doc()).isEqualTo(row("editorId", null));
    assertThat(ops.get(1).position()).isEqualTo(ops.get(0).position());
    assertThat(d.counts.parentIdCacheLookups("posts", "revoked")).isEqualTo(2);
    assertThat(d.counts.pendingRows()).isZero();

    d.id("users/[1]", "u1again");
    assertThat(d.ops())
        .filteredOn(o -> o.key().equals("[12]"))
        .extracting(Operation::doc)
        .containsExactly(row("editorId", "u1again"));
  }

  @Test
  void withoutTheCacheEveryChildAsksTheResolver() {
    d.close();
    d =
        new Driver(
            Fixture.mapping(),
            true,
            TransformerTopology.DEFAULT_ORPHAN_REPORT_AFTER_MS,
            2,
            TransformerTopology.DEFAULT_MAX_HELD_CHANGES,
            0);
    d.id("users/[1]", "u1");
    d.create("posts", post(10, 1, null), 100);
    d.create("posts", post(11, 1, null), 110);
    assertThat(d.ops())
        .extracting(o -> o.doc().get("authorId").asText())
        .containsExactly("u1", "u1");
    assertThat(d.counts.parentIdCacheLookups("posts", "hit")).isZero();
    assertThat(d.counts.parentIdCacheLookups("posts", "miss")).isZero();
  }

  @Test
  void parentRecreatedWithTheSameKeyRepointsChildrenAnsweredWithTheOldId() {
    d.id("users/[1]", "old"); // the sink has not reported the delete and re-insert yet
    d.create("posts", post(10, 1, null), 100);
    assertThat(d.ops().get(0).doc().get("authorId").asText()).isEqualTo("old");

    d.idDeleted("users/[1]");
    assertThat(d.ops()).isEmpty();
    assertThat(d.counts.pendingRefs()).isEqualTo(1); // waits for the parent again

    d.id("users/[1]", "new");
    Operation op = d.ops().get(0);
    assertThat(op.op()).isEqualTo(Kind.PATCH);
    assertThat(op.position()).isEqualTo(Position.of(100, 1));
    assertThat(op.doc()).isEqualTo(row("authorId", "new"));
    assertThat(d.counts.pendingRefs()).isZero();
  }

  @Test
  void parentRewrittenWithTheSameIdCausesNoFanOut() {
    d.id("users/[1]", "u1");
    d.create("posts", post(10, 1, null), 100);
    d.create("posts", post(11, 1, null), 101);
    d.ops();

    d.id("users/[1]", "u1");
    assertThat(d.ops()).isEmpty();
  }

  @Test
  void malformedIdsRecordIsIgnored() {
    d.ids.pipeInput("users/[1]", "{oops");
    d.create("posts", post(10, 1, null), 100);
    assertThat(d.ops()).isEmpty();
    d.id("users/[1]", "u1");
    assertThat(d.ops()).hasSize(1);
    assertThat(d.counts.idsSkipped("users", "not_json")).isEqualTo(1);
  }

  @Test
  void idsRecordWithoutAKeyIsCountedAndIgnored() {
    d.ids.pipeInput((String) null, "{\"id\":\"u1\",\"position\":\"0000000000000000:00000000\"}");
    d.create("posts", post(10, 1, null), 100);
    assertThat(d.ops()).isEmpty();
    assertThat(d.counts.idsSkipped("unknown", "no_key")).isEqualTo(1);
    assertThat(d.registry.scrape())
        .contains(
            "pgconvex_transformer_ids_skipped_total{reason=\"no_key\",table=\"unknown\"} 1.0");
  }

  @Test
  void everyNodeStoreAndInternalTopicIsNamed() {
    String description =
        TransformerTopology.build(
                TransformerTopology.Options.of(Fixture.mapping(), Fixture.TOPICS, 4))
            .describe()
            .toString();
    assertThat(description)
        .doesNotContain("KSTREAM-")
        .doesNotContain("KTABLE-")
        .contains("rows-repartition", "ref-requests-repartition", "ref-responses-repartition")
        .contains("Processor: assembler (stores: [rows])")
        .contains("Processor: assembler-responses (stores: [rows])")
        .containsPattern(
            "Processor: resolver \\(stores: \\[(subscriptions, parent-ids|parent-ids, subscriptions)]\\)");
  }
}
