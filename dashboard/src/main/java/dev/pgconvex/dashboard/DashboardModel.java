package dev.pgconvex.dashboard;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pgconvex.common.json.Json;
import dev.pgconvex.common.status.LastError;
import dev.pgconvex.common.status.SinkStatus;
import dev.pgconvex.common.status.SourceStatus;
import dev.pgconvex.common.status.StageState;
import dev.pgconvex.common.status.StageStatus;
import dev.pgconvex.common.status.TransformerStatus;
import dev.pgconvex.common.status.VerifyStatus;
import dev.pgconvex.operations.ChainStatus;
import dev.pgconvex.operations.Verdict;
import dev.pgconvex.operations.alerts.FiringAlert;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The page's JSON ({@code /dashboard/state.json}): every figure both as a number and as the text a
 * person reads ({@code "lag": {"ms": 350, "text": "350 ms"}}), so the page only places texts and
 * draws the charts. Each part has a {@code tone}: {@code ok}, {@code warn} or {@code bad}. Keys of
 * rows at most, never row contents or secrets (the stages' statuses hold none). Pure.
 */
public final class DashboardModel {
  private static final List<String> STAGES = List.of("source", "transformer", "sink");

  /** Held rows listed on the page at most (the link shows up to the transformer's limit). */
  static final int PENDING_SHOWN = 20;

  private DashboardModel() {}

  /**
   * @param r the newest reading
   * @param points the history, oldest first
   * @param readiness the cutover readiness of this chain ({@code {"ready", "checks": [...]}}), or
   *     null where it is not evaluated
   * @param nowMs the current time
   */
  public static ObjectNode build(
      Reading r, List<History.Point> points, JsonNode readiness, long nowMs) {
    ObjectNode o = Json.NODES.objectNode();
    ChainStatus c = r.chain();
    o.put("atMs", r.atMs());
    o.put("readText", Human.ago(r.atMs(), nowMs));
    ObjectNode verdict = o.putObject("verdict");
    verdict.put("word", c.verdict().word());
    verdict.put("reason", c.reason());
    verdict.put(
        "tone",
        switch (c.verdict()) {
          case CAUGHT_UP -> "ok";
          case LAGGING -> "warn";
          case STALLED, FAILING -> "bad";
        });
    summary(o.putObject("summary"), r, points);
    tables(o.putObject("tables"), r.tables(), nowMs);
    stages(o.putArray("stages"), c, nowMs);
    ArrayNode unreachable = o.putArray("unreachable");
    c.unreachable().forEach(unreachable::add);
    pending(o.putObject("pending"), c, r.pending(), nowMs);
    deadLetters(o.putObject("deadLetters"), r.deadLetters());
    alerts(o.putArray("alerts"), c.alerts(), nowMs);
    verify(o, c.verify(), nowMs);
    cutover(o.putObject("cutover"), readiness, r.lastCutover(), nowMs);
    history(o.putObject("history"), points);
    return o;
  }

  private static void summary(ObjectNode s, Reading r, List<History.Point> points) {
    Long lag = r.chain().endToEndLagMs();
    ObjectNode l = s.putObject("lag");
    if (lag == null) {
      l.putNull("ms");
      l.put("text", "unknown");
    } else {
      l.put("ms", lag);
      l.put("text", Human.millis(lag));
    }
    History.Point last = points.isEmpty() ? null : points.get(points.size() - 1);
    rate(s.putObject("applied"), last == null ? null : last.appliedPerS(), r.applied());
    rate(s.putObject("captured"), last == null ? null : last.capturedPerS(), r.captured());
    ObjectNode slot = s.putObject("slotLag");
    if (r.chain().stages().get("source") instanceof SourceStatus src && src.slotLagBytes() >= 0) {
      slot.put("bytes", src.slotLagBytes());
      slot.put("text", Human.bytes(src.slotLagBytes()));
      slot.put(
          "detail",
          (src.slotActive() == null
                  ? "slot not read yet"
                  : src.slotActive() ? "slot active" : "slot INACTIVE")
              + (src.slotWalStatus() == null ? "" : ", WAL " + src.slotWalStatus())
              + (src.snapshotFinished() ? ", streaming" : ", snapshot running"));
    } else {
      slot.putNull("bytes");
      slot.put("text", "unknown");
      slot.put("detail", "no source answered");
    }
  }

  private static void rate(ObjectNode o, Double perS, Long total) {
    if (perS == null) {
      o.putNull("perS");
      o.put("text", total == null ? "unknown" : "–");
    } else {
      o.put("perS", perS);
      o.put("text", Human.rate(perS));
    }
    if (total == null) {
      o.putNull("total");
      o.put("totalText", "unknown");
    } else {
      o.put("total", total);
      o.put("totalText", Human.count(total));
    }
  }

  private static void tables(ObjectNode o, JsonNode served, long nowMs) {
    ArrayNode rows = o.putArray("rows");
    if (served == null || !served.path("tables").isObject()) {
      o.put("known", false);
      o.put(
          "note",
          "Per-table counts come from the pipeline process (./cdc run, ./cdc demo); stages"
              + " deployed alone do not count tables. Give that process's endpoint, or use ./cdc"
              + " verify.");
      return;
    }
    o.put("known", true);
    if (served.path("atMs").isNumber()) {
      o.put("countedText", "counted " + Human.ago(served.get("atMs").asLong(), nowMs));
    }
    if (served.path("error").isTextual()) {
      o.put("note", "last count failed: " + served.get("error").asText());
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = served.get("tables").fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> t = it.next();
      long pg = t.getValue().path("pgRows").asLong();
      long cx = t.getValue().path("convexDocs").asLong();
      ObjectNode row = rows.addObject();
      row.put("table", t.getKey());
      row.put("pgRows", pg);
      row.put("convexDocs", cx);
      row.put("pgText", Human.count(pg));
      row.put("convexText", Human.count(cx));
      row.put(
          "diffText",
          pg == cx
              ? "equal"
              : cx < pg ? Human.count(pg - cx) + " to go" : Human.count(cx - pg) + " extra");
      row.put("tone", pg == cx ? "ok" : "warn");
    }
  }

  private static void stages(ArrayNode out, ChainStatus c, long nowMs) {
    for (String name : STAGES) {
      StageStatus s = c.stages().get(name);
      ObjectNode o = out.addObject();
      o.put("stage", name);
      if (s == null) {
        o.put("state", "MISSING");
        o.put("tone", "bad");
        o.put(
            "detail",
            c.unreachable().isEmpty()
                ? "not found at the endpoints given"
                : "endpoint not reachable");
        o.putNull("lastError");
        continue;
      }
      o.put("state", s.state().name());
      String tone =
          switch (s.state()) {
            case RUNNING -> "ok";
            case STARTING -> "warn";
            case FAILED, STOPPED -> "bad";
          };
      if (s instanceof SinkStatus k && k.state() == StageState.RUNNING && k.failingForMs() > 0) {
        tone = "warn";
      }
      o.put("tone", tone);
      o.put("detail", line(s));
      LastError e = s.lastError();
      if (e == null) {
        o.putNull("lastError");
      } else {
        o.putObject("lastError")
            .put("message", e.message())
            .put("atMs", e.atEpochMs())
            .put("agoText", Human.ago(e.atEpochMs(), nowMs));
      }
    }
  }

  static String line(StageStatus s) {
    if (s instanceof SourceStatus src) {
      return (src.snapshotFinished() ? "streaming" : "snapshot running")
          + ", "
          + Human.count(src.snapshotRows())
          + " snapshot rows"
          + (src.millisBehindSource() >= 0
              ? ", newest change read " + Human.millis(src.millisBehindSource()) + " after commit"
              : "");
    }
    if (s instanceof TransformerStatus t) {
      return "streams "
          + t.streamsState()
          + ", "
          + Human.count(t.pendingRows())
          + " held for a parent"
          + (t.heldTables().isEmpty()
              ? ""
              : ", " + t.heldTables().size() + " table(s) HELD for schema drift");
    }
    SinkStatus k = (SinkStatus) s;
    return k.assignedPartitions()
        + " partitions, "
        + Human.count(k.retries())
        + " retries ("
        + Human.count(k.rateLimited())
        + " throttled)"
        + (k.failingForMs() > 0 ? ", Convex failing for " + Human.millis(k.failingForMs()) : "");
  }

  private static void pending(ObjectNode o, ChainStatus c, JsonNode served, long nowMs) {
    ArrayNode list = o.putArray("rows");
    if (!(c.stages().get("transformer") instanceof TransformerStatus t)) {
      o.putNull("count");
      o.put("text", "unknown");
      o.put("tone", "warn");
      return;
    }
    o.put("count", t.pendingRows());
    o.put("text", Human.count(t.pendingRows()));
    o.put(
        "oldestText",
        t.oldestPendingAgeMs() == null ? "" : "oldest " + Human.millis(t.oldestPendingAgeMs()));
    o.put(
        "tone",
        t.pendingRows() == 0
            ? "ok"
            : t.oldestPendingAgeMs() != null && t.oldestPendingAgeMs() > 30_000 ? "bad" : "warn");
    if (served != null) {
      int n = 0;
      for (JsonNode row : served.path("rows")) {
        if (n++ >= PENDING_SHOWN) {
          break;
        }
        StringBuilder waits = new StringBuilder();
        for (JsonNode m : row.path("missing")) {
          if (waits.length() > 0) {
            waits.append(", ");
          }
          waits
              .append(m.path("parentTable").asText())
              .append(' ')
              .append(m.path("parentKey").asText());
        }
        list.addObject()
            .put("table", row.path("table").asText())
            .put("key", row.path("key").asText())
            .put("waitsFor", waits.toString());
      }
    }
  }

  private static void deadLetters(ObjectNode o, List<Reading.DeadLetters> groups) {
    long total = groups.stream().mapToLong(Reading.DeadLetters::count).sum();
    o.put("total", total);
    o.put("text", Human.count(total));
    o.put("tone", total == 0 ? "ok" : "bad");
    ArrayNode out = o.putArray("groups");
    for (Reading.DeadLetters g : groups) {
      ArrayNode tables =
          out.addObject()
              .put("stage", g.stage())
              .put("reason", g.reason())
              .put("count", g.count())
              .put("countText", Human.count(g.count()))
              .putArray("tables");
      g.tables().forEach(tables::add);
    }
  }

  private static void alerts(ArrayNode out, List<FiringAlert> firing, long nowMs) {
    for (FiringAlert a : firing) {
      out.addObject()
          .put("alert", a.alert())
          .put("severity", a.severity().label())
          .put(
              "tone",
              a.severity() == dev.pgconvex.operations.alerts.Severity.CRITICAL ? "bad" : "warn")
          .put("reason", a.reason())
          .put("fix", a.fix())
          .put("sinceText", "since " + Human.ago(a.sinceMs(), nowMs).replace(" ago", ""));
    }
  }

  private static void verify(ObjectNode o, VerifyStatus v, long nowMs) {
    if (v == null) {
      o.putNull("verify");
      return;
    }
    ObjectNode j = o.putObject("verify");
    j.put("running", v.running());
    j.put("passes", v.passes());
    j.put("failedPasses", v.failedPasses());
    j.put("mismatchedRows", v.mismatchedRows());
    ObjectNode by = j.putObject("mismatchedByTable");
    v.mismatchedByTable().forEach(by::put);
    if (v.lastPassCompletedAtMs() == null) {
      j.put("word", v.running() ? "first pass running" : "stopped");
      j.put("tone", "warn");
      j.put("text", "no complete pass yet");
    } else {
      boolean equal = v.mismatchedRows() == 0;
      j.put("word", equal ? "equal" : "differs");
      j.put("tone", equal ? "ok" : "bad");
      j.put(
          "text",
          "last pass "
              + Human.ago(v.lastPassCompletedAtMs(), nowMs)
              + ": "
              + (equal ? "every key equal" : Human.count(v.mismatchedRows()) + " key(s) differ"));
    }
    j.put(
        "detail",
        String.format(
            Locale.ROOT,
            "%s passes, %s failed%s",
            Human.count(v.passes()),
            Human.count(v.failedPasses()),
            v.lastError() == null ? "" : "; last failure: " + v.lastError().message()));
  }

  private static void cutover(ObjectNode o, JsonNode readiness, JsonNode last, long nowMs) {
    if (readiness == null) {
      o.putNull("readiness");
    } else {
      o.set("readiness", readiness);
    }
    if (last == null) {
      o.putNull("last");
      return;
    }
    ObjectNode l = o.putObject("last");
    l.put("cutoverId", last.path("cutoverId").asText());
    String state = last.path("state").asText();
    l.put("state", state);
    l.put(
        "tone",
        switch (state) {
          case "switched", "rehearsed" -> "ok";
          case "aborted" -> "bad";
          default -> "warn";
        });
    l.put("step", last.path("step").isTextual() ? last.get("step").asText() : null);
    l.put("reason", last.path("reason").isTextual() ? last.get("reason").asText() : null);
    l.put("freeze", last.path("freeze").isTextual() ? last.get("freeze").asText() : null);
    if (last.path("pauseMs").isNumber()) {
      l.put("pauseText", "write pause " + Human.millis(last.get("pauseMs").asLong()));
    }
    if (last.path("updatedAt").isNumber()) {
      l.put("updatedText", Human.ago(last.get("updatedAt").asLong(), nowMs));
    }
    JsonNode v = last.path("verify");
    if (v.isObject()) {
      boolean equal = v.path("equal").asBoolean();
      l.put(
          "verifyText",
          "its verify ("
              + v.path("mode").asText("?")
              + "): "
              + (equal ? "equal" : Human.count(v.path("differences").asLong()) + " difference(s)")
              + (v.path("at").isNumber() ? ", " + Human.ago(v.get("at").asLong(), nowMs) : ""));
      l.put("verifyTone", equal ? "ok" : "bad");
    } else {
      l.putNull("verifyText");
    }
    ArrayNode steps = l.putArray("steps");
    JsonNode times = last.path("times");
    java.util.List<Map.Entry<String, JsonNode>> entries = new java.util.ArrayList<>();
    times.fields().forEachRemaining(entries::add);
    entries.sort((a, b) -> Long.compare(a.getValue().asLong(), b.getValue().asLong()));
    for (Map.Entry<String, JsonNode> e : entries) {
      steps
          .addObject()
          .put("state", e.getKey())
          .put("atMs", e.getValue().asLong())
          .put("agoText", Human.ago(e.getValue().asLong(), nowMs));
    }
  }

  private static void history(ObjectNode o, List<History.Point> points) {
    ArrayNode t = o.putArray("t");
    ArrayNode lag = o.putArray("lagMs");
    ArrayNode applied = o.putArray("appliedPerS");
    ArrayNode captured = o.putArray("capturedPerS");
    ArrayNode slot = o.putArray("slotLagBytes");
    for (History.Point p : points) {
      t.add(p.atMs());
      add(lag, p.lagMs());
      add(applied, p.appliedPerS() == null ? null : Math.round(p.appliedPerS() * 10) / 10.0);
      add(captured, p.capturedPerS() == null ? null : Math.round(p.capturedPerS() * 10) / 10.0);
      add(slot, p.slotLagBytes());
    }
  }

  private static void add(ArrayNode a, Number n) {
    if (n == null) {
      a.addNull();
    } else if (n instanceof Double d) {
      a.add(d);
    } else {
      a.add(n.longValue());
    }
  }

  /** The verdict of a chain status in the page's words (for tests and the title). */
  static String title(Verdict v) {
    return "pgconvex: " + v.word();
  }
}
