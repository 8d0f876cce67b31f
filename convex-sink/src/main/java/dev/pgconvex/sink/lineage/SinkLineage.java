package dev.pgconvex.sink.lineage;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pgconvex.common.json.Json;
import dev.pgconvex.common.kafka.LineageTopic;
import dev.pgconvex.common.lineage.SourceIdentity;
import dev.pgconvex.common.lineage.TargetIdentity;
import dev.pgconvex.sink.http.ConvexAuthException;
import dev.pgconvex.sink.http.ConvexClient;
import dev.pgconvex.sink.http.ConvexException;
import dev.pgconvex.sink.http.ConvexRetriableException;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the sink from mixing Convex deployments and sources. The ids in {@code <prefix>.ids} are
 * ids of one deployment; the key table in Convex holds positions of one source. At start the sink
 * compares what Kafka recorded ({@code <prefix>.lineage}) with what Convex holds ({@code
 * cdc/lineage}), and stops before writing when they disagree:
 *
 * <ul>
 *   <li>Kafka names a mirror and Convex holds none, or another one: the deployment was wiped or
 *       replaced; writing on would put ids of the old deployment into documents.
 *   <li>Convex mirrors another source than the one Kafka recorded.
 * </ul>
 *
 * Otherwise it claims the deployment (first start) and records the mirror in Kafka. Stateless.
 */
public final class SinkLineage {
  public static final String GET = "cdc/lineage:getLineage";
  public static final String CLAIM = "cdc/lineage:claimLineage";

  private static final Logger log = LoggerFactory.getLogger(SinkLineage.class);

  private SinkLineage() {}

  /**
   * @param pipeline the pipeline's name ({@code cdc.topic.prefix})
   * @return the mirror the sink writes into
   * @throws SinkPreflightException when the state of Kafka and Convex belong to different lineages
   */
  public static TargetIdentity claim(
      ConvexClient client, LineageTopic topic, String pipeline, String convexUrl) {
    Optional<SourceIdentity> source = topic.source();
    Optional<TargetIdentity> recorded = topic.target();
    JsonNode current =
        call(convexUrl, () -> client.query(GET, Json.NODES.objectNode().put("pipeline", pipeline)));
    boolean inConvex = current != null && !current.isNull();
    if (recorded.isPresent()) {
      TargetIdentity r = recorded.get();
      if (!inConvex) {
        throw new SinkPreflightException(Problems.convexWiped(pipeline, r, convexUrl));
      }
      String mirror = current.path("mirrorId").asText();
      if (!mirror.equals(r.mirrorId())) {
        throw new SinkPreflightException(Problems.otherMirror(pipeline, r, convexUrl, mirror));
      }
    }
    var args = Json.NODES.objectNode().put("pipeline", pipeline);
    if (source.isPresent()) {
      args.set("source", source.get().toJson());
    } else {
      args.putNull("source");
    }
    JsonNode claimed = call(convexUrl, () -> client.mutation(CLAIM, args));
    String status = claimed.path("status").asText();
    JsonNode lineage = claimed.path("lineage");
    if ("conflict".equals(status)) {
      throw new SinkPreflightException(
          Problems.otherSource(
              pipeline, convexUrl, SourceIdentity.fromJson(lineage.path("source")), source.get()));
    }
    TargetIdentity target = new TargetIdentity(lineage.path("mirrorId").asText(), convexUrl);
    if (recorded.isEmpty()) {
      topic.recordTarget(target);
      log.info(
          "Recorded the Convex mirror of pipeline '{}': {} at {} ({})",
          pipeline,
          target.mirrorId(),
          convexUrl,
          status);
    }
    return target;
  }

  private static final long RETRY_FOR_MS = 30_000;

  /**
   * One Convex call of the start-up check: transient failures are retried for up to 30 s (capped
   * backoff); anything else stops the start with one clear line.
   */
  private static JsonNode call(String url, java.util.function.Supplier<JsonNode> call) {
    long deadline = System.currentTimeMillis() + RETRY_FOR_MS;
    long delay = 200;
    while (true) {
      try {
        return call.get();
      } catch (ConvexAuthException e) {
        throw new SinkPreflightException(e.getMessage());
      } catch (ConvexRetriableException e) {
        if (System.currentTimeMillis() + delay > deadline) {
          throw new SinkPreflightException(
              "Convex at " + url + " did not answer the lineage check in time: " + e.getMessage());
        }
        try {
          Thread.sleep(delay); // backoff between attempts, not a wait for a condition
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw new SinkPreflightException("Interrupted while checking the lineage in Convex");
        }
        delay = Math.min(delay * 2, 5_000);
      } catch (ConvexException e) {
        String m = String.valueOf(e.getMessage());
        throw new SinkPreflightException(
            m.contains("Could not find") || m.contains("not found")
                ? "Convex at "
                    + url
                    + " lacks the pipeline's cdc/lineage functions: deploy the functions folder of"
                    + " this version (./cdc schema generate ... --out convex/, then npx convex"
                    + " deploy): "
                    + m
                : "Convex at " + url + " refused the lineage check: " + m);
      }
    }
  }

  /** The problem texts: what was found, then what to do. */
  static final class Problems {
    private Problems() {}

    private static final String RESET =
        "run ./cdc reset (same --work-dir or --kafka and cdc.topic.prefix) to start the pipeline"
            + " over with a fresh snapshot";

    static String convexWiped(String pipeline, TargetIdentity recorded, String url) {
      return idsOf(pipeline, recorded)
          + ", but "
          + url
          + " holds no mirror of it: the deployment was wiped or replaced, and writing on would"
          + " put ids of the old one into documents; point the sink at the deployment it was"
          + " mirroring into, or "
          + RESET;
    }

    static String otherMirror(String pipeline, TargetIdentity recorded, String url, String found) {
      return idsOf(pipeline, recorded)
          + ", but "
          + url
          + " is mirror "
          + found
          + ": another deployment, whose documents those ids do not name; point the sink at the"
          + " deployment it was mirroring into, or "
          + RESET;
    }

    private static String idsOf(String pipeline, TargetIdentity recorded) {
      return "Kafka holds the ids of pipeline '"
          + pipeline
          + "' for Convex mirror "
          + recorded.mirrorId()
          + " (at "
          + recorded.convexUrl()
          + ")";
    }

    static String otherSource(
        String pipeline, String url, SourceIdentity inConvex, SourceIdentity inKafka) {
      return "Convex at "
          + url
          + " mirrors "
          + inConvex.describe()
          + " for pipeline '"
          + pipeline
          + "', but the pipeline's Kafka state comes from "
          + inKafka.describe()
          + ": positions of two databases cannot be compared; point the sink at the right"
          + " deployment, or "
          + RESET
          + " and --convex-data to empty the mirror";
    }
  }
}
