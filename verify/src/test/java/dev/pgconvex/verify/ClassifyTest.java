package dev.pgconvex.verify;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pgconvex.common.json.Json;
import dev.pgconvex.common.mapping.ColumnMapping;
import dev.pgconvex.common.mapping.FieldType;
import dev.pgconvex.common.mapping.RelationMapping;
import dev.pgconvex.common.mapping.TableMapping;
import dev.pgconvex.verify.MirrorVerifier.ParentRef;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** How one key's row and document are told apart into the four classes. */
class ClassifyTest {
  private static final TableMapping MESSAGES =
      new TableMapping(
          "public",
          "messages",
          "messages",
          List.of("id"),
          List.of(
              ColumnMapping.of("content", "content", "text", FieldType.STRING, false),
              ColumnMapping.of("tokens", "tokens", "int4", FieldType.NUMBER, true)),
          List.of(new RelationMapping("threadId", List.of("thread_id"), "threads", false)));

  private static final Map<String, Map<String, String>> IDS =
      Map.of("threads", Map.of("[7]", "id_thread_7", "[8]", "id_thread_8"));

  private static PgRow row(String content, Integer tokens, String threadKey) {
    ObjectNode doc = Json.NODES.objectNode().put("content", content);
    if (tokens != null) {
      doc.put("tokens", tokens);
    }
    return new PgRow(
        "[1]",
        doc,
        threadKey == null ? Map.of() : Map.of("threadId", new ParentRef("threads", threadKey)),
        100);
  }

  private static JsonNode entry(String doc) {
    ObjectNode e = Json.NODES.objectNode().put("key", "[1]").put("id", "id_msg_1");
    e.put("position", "0000000000000010:00000000");
    e.set("doc", Json.parse(doc));
    return e;
  }

  private static Finding classify(PgRow row, JsonNode entry) {
    return KeyComparison.classify(MESSAGES, "[1]", row, entry, IDS);
  }

  @Test
  void equalDocumentsAreNoFinding() {
    assertThat(
            classify(
                row("hi", 3, "[7]"),
                entry("{\"tokens\":3.0,\"threadId\":\"id_thread_7\",\"content\":\"hi\"}")))
        .isNull();
    assertThat(classify(null, null)).isNull();
  }

  @Test
  void missingAndExtra() {
    assertThat(classify(row("hi", 3, "[7]"), null).kind()).isEqualTo(Finding.Kind.MISSING);
    Finding extra = classify(null, entry("{\"content\":\"hi\"}"));
    assertThat(extra.kind()).isEqualTo(Finding.Kind.EXTRA);
    assertThat(extra.docId()).isEqualTo("id_msg_1");
    assertThat(extra.position()).isEqualTo("0000000000000010:00000000");
  }

  @Test
  void aDifferentFieldIsNamedWithBothValues() {
    Finding f =
        classify(
            row("hi", 3, "[7]"),
            entry("{\"tokens\":3,\"threadId\":\"id_thread_7\",\"content\":\"ho\"}"));
    assertThat(f.kind()).isEqualTo(Finding.Kind.DIFFERENT);
    assertThat(f.field()).isEqualTo("content");
    assertThat(f.expected()).isEqualTo("\"hi\"");
    assertThat(f.actual()).isEqualTo("\"ho\"");
    // a field Convex has and Postgres does not (a NULL column)
    Finding extraField =
        classify(
            row("hi", null, "[7]"),
            entry("{\"tokens\":3,\"threadId\":\"id_thread_7\",\"content\":\"hi\"}"));
    assertThat(extraField.field()).isEqualTo("tokens");
    assertThat(extraField.expected()).isNull();
  }

  @Test
  void aReferenceToAnotherParentIsAWrongRefWithTheExpectedParentKey() {
    Finding f =
        classify(
            row("hi", 3, "[7]"),
            entry("{\"tokens\":3,\"threadId\":\"id_thread_8\",\"content\":\"hi\"}"));
    assertThat(f.kind()).isEqualTo(Finding.Kind.WRONG_REF);
    assertThat(f.field()).isEqualTo("threadId");
    assertThat(f.expectedParentKey()).isEqualTo("[7]");
    assertThat(f.actual()).isEqualTo("\"id_thread_8\"");
  }

  @Test
  void aReferenceToAParentWithoutALiveDocumentIsAWrongRef() {
    Finding f =
        classify(
            row("hi", 3, "[9]"), // no live document for threads [9]
            entry("{\"tokens\":3,\"threadId\":\"id_thread_gone\",\"content\":\"hi\"}"));
    assertThat(f.kind()).isEqualTo(Finding.Kind.WRONG_REF);
    assertThat(f.expectedParentKey()).isEqualTo("[9]");
  }

  @Test
  void aContentDifferenceIsReportedBeforeAReferenceDifference() {
    Finding f =
        classify(
            row("hi", 3, "[7]"),
            entry("{\"tokens\":4,\"threadId\":\"id_thread_8\",\"content\":\"hi\"}"));
    assertThat(f.kind()).isEqualTo(Finding.Kind.DIFFERENT);
    assertThat(f.field()).isEqualTo("tokens");
  }
}
