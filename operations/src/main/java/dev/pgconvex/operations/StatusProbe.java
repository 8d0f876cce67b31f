package dev.pgconvex.operations;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pgconvex.common.json.Json;
import dev.pgconvex.common.status.SinkStatus;
import dev.pgconvex.common.status.SourceStatus;
import dev.pgconvex.common.status.StageStatus;
import dev.pgconvex.common.status.TransformerStatus;
import dev.pgconvex.common.status.VerifyStatus;
import dev.pgconvex.operations.alerts.FiringAlert;
import dev.pgconvex.operations.lag.GroupLag;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads {@code GET /status} of each stage endpoint (one process may serve several stages) and hands
 * the typed statuses to a {@link ChainEvaluator}. An endpoint that does not answer is reported by
 * URL and reason, never with a stack trace. Thread-safe.
 */
public final class StatusProbe {
  private static final Duration TIMEOUT = Duration.ofSeconds(5);
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();

  private final List<String> endpoints;
  private final ChainEvaluator evaluator;

  /**
   * @param endpoints base URLs such as {@code http://10.0.0.5:8080}
   */
  public StatusProbe(List<String> endpoints, ChainEvaluator evaluator) {
    this.endpoints = List.copyOf(endpoints);
    this.evaluator = evaluator;
  }

  /**
   * The stages read from the endpoints, and the endpoints that did not answer.
   *
   * @param stages statuses by stage name
   * @param unreachable each endpoint that did not answer, with the reason
   */
  public record Stages(Map<String, StageStatus> stages, List<String> unreachable) {}

  /** Reads every endpoint once and evaluates the chain. */
  public ChainStatus read() {
    Stages read = readStages();
    List<FiringAlert> alerts = new ArrayList<>();
    List<GroupLag> lag = new ArrayList<>();
    VerifyStatus verify = null;
    for (String e : endpoints) {
      String url = e.endsWith("/") ? e.substring(0, e.length() - 1) : e;
      readAlerts(url, alerts, lag);
      if (verify == null) {
        verify = readVerify(url);
      }
    }
    return evaluator
        .evaluate(read.stages(), read.unreachable(), System.currentTimeMillis())
        .with(alerts, lag)
        .withVerify(verify);
  }

  // GET /verify where the process runs the background verification; null elsewhere.
  private static VerifyStatus readVerify(String url) {
    try {
      HttpResponse<String> r =
          HTTP.send(
              HttpRequest.newBuilder(URI.create(url + "/verify")).timeout(TIMEOUT).build(),
              HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() != 200) {
        return null;
      }
      return Json.MAPPER
          .readerFor(VerifyStatus.class)
          .without(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .readValue(r.body());
    } catch (IOException | IllegalArgumentException ex) {
      return null;
    } catch (InterruptedException ex) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  /** Reads {@code GET /status} of every endpoint once. */
  public Stages readStages() {
    Map<String, StageStatus> stages = new LinkedHashMap<>();
    List<String> unreachable = new ArrayList<>();
    for (String e : endpoints) {
      String url = e.endsWith("/") ? e.substring(0, e.length() - 1) : e;
      try {
        HttpResponse<String> r =
            HTTP.send(
                HttpRequest.newBuilder(URI.create(url + "/status")).timeout(TIMEOUT).build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
          unreachable.add(url + ": answered " + r.statusCode() + " to GET /status");
          continue;
        }
        JsonNode body = Json.parse(r.body()).path("stages");
        for (Iterator<Map.Entry<String, JsonNode>> it = body.fields(); it.hasNext(); ) {
          Map.Entry<String, JsonNode> s = it.next();
          stages.put(s.getKey(), parse(s.getKey(), s.getValue()));
        }
      } catch (IOException | IllegalArgumentException ex) {
        unreachable.add(url + ": " + describe(ex));
      } catch (InterruptedException ex) {
        Thread.currentThread().interrupt();
        unreachable.add(url + ": interrupted");
      }
    }
    return new Stages(stages, unreachable);
  }

  // GET /alerts where the process evaluates alerts (./cdc run, demo); a stage run alone has none.
  private static void readAlerts(String url, List<FiringAlert> alerts, List<GroupLag> lag) {
    try {
      HttpResponse<String> r =
          HTTP.send(
              HttpRequest.newBuilder(URI.create(url + "/alerts")).timeout(TIMEOUT).build(),
              HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() != 200) {
        return;
      }
      JsonNode body = Json.parse(r.body());
      var lenient =
          com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES;
      for (JsonNode a : body.path("firing")) {
        alerts.add(Json.MAPPER.readerFor(FiringAlert.class).without(lenient).readValue(a));
      }
      for (JsonNode g : body.path("consumerLag")) {
        lag.add(Json.MAPPER.readerFor(GroupLag.class).without(lenient).readValue(g));
      }
    } catch (IOException | IllegalArgumentException ex) {
      // The stages' part was read (or reported unreachable) above; alerts are extra.
    } catch (InterruptedException ex) {
      Thread.currentThread().interrupt();
    }
  }

  static StageStatus parse(String stage, JsonNode json) {
    Class<? extends StageStatus> type =
        switch (stage) {
          case "source" -> SourceStatus.class;
          case "transformer" -> TransformerStatus.class;
          case "sink" -> SinkStatus.class;
          default -> throw new IllegalArgumentException("unknown stage '" + stage + "'");
        };
    try {
      // A newer stage may report more fields than this reader knows: they are not an error.
      return Json.MAPPER
          .readerFor(type)
          .without(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .readValue(json);
    } catch (IOException e) {
      throw new IllegalArgumentException("unreadable " + stage + " status: " + e.getMessage());
    }
  }

  private static String describe(Exception e) {
    String m = e.getMessage();
    if (e instanceof java.net.ConnectException || m == null || m.isBlank()) {
      return "cannot connect: is the pipeline running there, and is the address right?";
    }
    if (e instanceof java.net.http.HttpTimeoutException) {
      return "no answer within " + TIMEOUT.toSeconds() + " s";
    }
    return m;
  }
}
