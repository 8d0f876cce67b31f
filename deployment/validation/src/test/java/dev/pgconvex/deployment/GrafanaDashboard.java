package dev.pgconvex.deployment;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The provisioned Grafana dashboard (deploy/grafana/dashboards/pgconvex.json). */
final class GrafanaDashboard {
  static final String PATH = "deploy/grafana/dashboards/pgconvex.json";

  private GrafanaDashboard() {}

  static JsonNode json() {
    try {
      return new ObjectMapper().readTree(Repo.read(PATH));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Every panel target's PromQL expression. */
  static List<String> expressions() {
    List<String> out = new ArrayList<>();
    for (JsonNode panel : json().get("panels")) {
      for (JsonNode target : panel.path("targets")) {
        out.add(target.get("expr").asText());
      }
    }
    return out;
  }

  /** The pipeline metric names the expressions use. */
  static Set<String> metricNames() {
    Set<String> names = new TreeSet<>();
    Pattern metric = Pattern.compile("pgconvex_[a-z0-9_]+");
    for (String expr : expressions()) {
      Matcher m = metric.matcher(expr);
      while (m.find()) {
        names.add(m.group());
      }
    }
    return names;
  }
}
