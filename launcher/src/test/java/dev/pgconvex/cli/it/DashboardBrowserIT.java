package dev.pgconvex.cli.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pgconvex.cli.demo.DemoDatabase;
import dev.pgconvex.cli.pipeline.Pipeline;
import dev.pgconvex.cli.pipeline.PipelineSettings;
import dev.pgconvex.common.json.Json;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The dashboard in a real browser (headless Chromium over the DevTools protocol) on a running
 * pipeline with the demo tables and a light write load, as a person sees it: live values without a
 * reload, table counts equal to the pipeline's own JSON and to Postgres, points on the lag chart
 * that a reload keeps, a page that fits a phone and shows no secret, and a stage that stops turning
 * its row red within seconds. With a token set the page and its JSON answer 401 without it.
 * Screenshots go to target/dashboard*.png.
 */
class DashboardBrowserIT {
  private static final Logger log = LoggerFactory.getLogger(DashboardBrowserIT.class);
  private static final String TOKEN = "it-dashboard-token";
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private static Chromium.Found chromium;

  // Finding (or installing) the browser has its own bound: apt-get may have a package to download.
  @BeforeAll
  @Timeout(value = 15, unit = TimeUnit.MINUTES)
  static void findChromium() {
    chromium = Chromium.find();
  }

  @Test
  @Timeout(300)
  void aPersonSeesTheLiveDualRunAndAStoppedStageTurnsRed() throws Exception {
    Assumptions.assumeTrue(chromium.executable() != null, chromium.whyNot());

    PipelineSettings settings =
        ItSupport.sharedSettings("dashboard", DemoDatabase.TABLES, DemoDatabase.RELATIONS)
            .withOverride("dashboard.token", TOKEN);
    try (Pipeline p = new Pipeline(settings)) {
      p.startInfrastructure();
      DemoDatabase demo;
      try (Connection db = p.connect()) {
        demo = new DemoDatabase(db, 18);
        demo.createSchema();
        demo.load(150);
      }
      p.startServices();
      String page = p.dashboardUrl();

      // Token: the page and its JSON answer 401 without it, 200 with it.
      assertThat(status(page, null)).isEqualTo(401);
      assertThat(status(page + "state.json", null)).isEqualTo(401);
      assertThat(status(page + "state.json?token=wrong", null)).isEqualTo(401);
      assertThat(status(page + "?token=" + TOKEN, null)).isEqualTo(200);
      assertThat(status(page + "state.json", TOKEN)).isEqualTo(200);

      Path target = Path.of("target").toAbsolutePath();
      try (Connection live = p.connect();
          Chromium browser =
              new Chromium(
                  chromium.executable(),
                  target.resolve("it/chromium-" + System.nanoTime()),
                  1280,
                  900)) {
        DemoDatabase writer = new DemoDatabase(live, 19);
        writer.adopt(demo);
        browser.navigate(page + "?token=" + TOKEN);
        browser.eval("window.__sameDocument = 42");

        // Live values arrive, and keep arriving, without a reload: a stream of lag points.
        try (BackgroundLoad load = new BackgroundLoad(writer, 2, Duration.ofMillis(250))) {
          page(
              browser,
              "the page shows live values",
              Duration.ofSeconds(120),
              Duration.ofMillis(250),
              () -> browser.eval("document.body.dataset.live === '1'").asBoolean());
          page(
              browser,
              "the lag chart has points",
              Duration.ofSeconds(60),
              Duration.ofMillis(250),
              () -> chartPoints(browser, "lag-chart") >= 3);
          // A tab left open keeps getting fresh readings: the lag chart grows with no reload.
          int before = chartPoints(browser, "lag-chart");
          page(
              browser,
              "the lag chart keeps growing",
              Duration.ofSeconds(10),
              Duration.ofMillis(250),
              () -> chartPoints(browser, "lag-chart") > before);
          assertThat(browser.eval("window.__sameDocument").asInt()).isEqualTo(42);
          log.info("The page is live: {}", diagnose(browser));
          assertThat(text(browser, "#lag")).matches("\\d[\\d.,]* (ms|s)");
          assertThat(text(browser, "#applied")).endsWith("/s");
        }

        // The load stopped: once Convex has caught up, the page's table counts equal the
        // pipeline's own JSON (/tables) and Postgres itself.
        page(
            browser,
            "the mirror catches up and the page shows it",
            Duration.ofSeconds(120),
            Duration.ofMillis(500),
            () -> pageCountsEqualJsonAndPostgres(p, browser));
        assertThat(text(browser, "#verdict")).isIn("caught up", "lagging");
        assertThat(browser.eval("document.querySelectorAll('#stages tr.tone-bad').length").asInt())
            .isZero();
        assertThat(browser.consoleErrors()).isEmpty(); // no script error, nothing CSP refused
        // No secret on the page: neither the Convex admin key, nor the database's password, nor
        // the token itself (the page's links rely on its cookie).
        String html = browser.eval("document.documentElement.outerHTML").asText();
        assertThat(html)
            .doesNotContain(p.convexAdminKey().reveal())
            .doesNotContain(TOKEN)
            .contains("Postgres rows");
        assertThat(html).doesNotContain(settings.pgPassword().reveal());
        browser.screenshot(target.resolve("dashboard.png"));

        // Phone width: nothing wider than the screen.
        browser.viewport(390, 844, true);
        page(
            browser,
            "the page fits a phone",
            Duration.ofSeconds(10),
            Duration.ofMillis(250),
            () ->
                browser
                    .eval("document.documentElement.scrollWidth <= window.innerWidth")
                    .asBoolean());
        browser.screenshot(target.resolve("dashboard-phone.png"));
        browser.viewport(1280, 900, false);

        // A reload keeps the history (the server holds it), and needs no token in the URL: the
        // first visit gave the browser the dashboard's cookie.
        int beforeReload = chartPoints(browser, "lag-chart");
        browser.eval("window.__beforeReload = true");
        browser.navigate(page);
        page(
            browser,
            "the reloaded page shows live values",
            Duration.ofSeconds(30),
            Duration.ofMillis(100),
            () ->
                browser
                    .eval("!window.__beforeReload && document.body.dataset.live === '1'")
                    .asBoolean());
        assertThat(chartPoints(browser, "lag-chart")).isGreaterThanOrEqualTo(beforeReload);
        browser.eval("window.__sameDocument = 42");

        // The sink stops: its row turns red within a few seconds, without a reload.
        long stoppedAt = System.nanoTime();
        CompletableFuture<Void> closing = CompletableFuture.runAsync(() -> p.sink().close());
        page(
            browser,
            "the stopped sink's row turns red",
            Duration.ofSeconds(8),
            Duration.ofMillis(100),
            () ->
                browser
                    .eval(
                        "document.querySelector('#stages tr[data-stage=sink]').classList.contains('tone-bad')")
                    .asBoolean());
        long redAfterMs = (System.nanoTime() - stoppedAt) / 1_000_000;
        log.info("The stopped sink's row turned red after {} ms", redAfterMs);
        assertThat(text(browser, "#stages tr[data-stage=sink] td.state")).isEqualTo("STOPPED");
        assertThat(text(browser, "#verdict")).isEqualTo("failing");
        assertThat(browser.eval("window.__sameDocument").asInt()).isEqualTo(42);
        browser.screenshot(target.resolve("dashboard-sink-stopped.png"));
        closing.get();
      }
    }
  }

  private static boolean pageCountsEqualJsonAndPostgres(Pipeline p, Chromium browser)
      throws Exception {
    JsonNode tables =
        Json.parse(get(p.endpoint().url() + "/tables")).path("tables"); // the pipeline's JSON
    if (!tables.isObject()) {
      return false;
    }
    JsonNode rows =
        Json.parse(
            browser
                .eval(
                    "JSON.stringify([...document.querySelectorAll('#tables tr[data-table]')].map(tr =>"
                        + " ({t: tr.dataset.table, pg: +tr.querySelector('.pg').dataset.value,"
                        + " cx: +tr.querySelector('.convex').dataset.value,"
                        + " pgText: tr.querySelector('.pg').textContent})))")
                .asText());
    if (rows.size() != 3) {
      return false;
    }
    Map<String, Long> pg = new HashMap<>();
    try (Connection c = p.connect();
        var st = c.createStatement()) {
      for (String t : new String[] {"users", "threads", "messages"}) {
        try (var rs = st.executeQuery("SELECT count(*) FROM " + t)) {
          rs.next();
          pg.put(t, rs.getLong(1));
        }
      }
    }
    for (JsonNode r : rows) {
      String t = r.get("t").asText();
      JsonNode served = tables.path(t);
      long shownPg = r.get("pg").asLong();
      long shownCx = r.get("cx").asLong();
      if (shownPg != shownCx
          || shownPg != served.path("pgRows").asLong()
          || shownCx != served.path("convexDocs").asLong()
          || shownPg != pg.get(t)) {
        log.info(
            "not yet equal: {} page {}/{} json {} postgres {}",
            t,
            shownPg,
            shownCx,
            served,
            pg.get(t));
        return false;
      }
      // the figure a person reads is the same number, formatted
      assertThat(r.get("pgText").asText().replace(",", "")).isEqualTo(Long.toString(shownPg));
    }
    return true;
  }

  // Waits for a condition on the page; a timeout says what the page showed then.
  private static void page(
      Chromium browser,
      String what,
      Duration atMost,
      Duration poll,
      java.util.concurrent.Callable<Boolean> condition) {
    try {
      await(what).atMost(atMost).pollInterval(poll).until(condition);
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      throw new AssertionError(e.getMessage() + "; the page showed: " + diagnose(browser), e);
    }
  }

  // What the page says about itself, for a failure's log: its verdict line, script errors.
  private static String diagnose(Chromium browser) {
    try {
      return text(browser, "#verdict")
          + " | "
          + text(browser, "#reason")
          + " | errors "
          + browser.consoleErrors();
    } catch (Exception e) {
      return "not readable: " + e;
    }
  }

  private static int chartPoints(Chromium browser, String id) throws Exception {
    JsonNode v =
        browser.eval("(document.getElementById('" + id + "').getAttribute('data-points') || '0')");
    return Integer.parseInt(v.asText());
  }

  private static String text(Chromium browser, String selector) throws Exception {
    return browser
        .eval("(document.querySelector('" + selector + "') || {}).textContent || ''")
        .asText();
  }

  private static String get(String url) throws Exception {
    return HTTP.send(
            HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
            HttpResponse.BodyHandlers.ofString())
        .body();
  }

  private static int status(String url, String bearer) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10));
    if (bearer != null) {
      b.header("Authorization", "Bearer " + bearer);
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
  }
}
