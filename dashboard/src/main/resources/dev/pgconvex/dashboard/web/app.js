// The pgconvex dashboard: polls state.json (the server formats every figure) and places texts;
// draws the two charts as SVG. No library, no network beyond this server. Texts go through
// textContent only.
(function () {
  "use strict";
  var POLL_MS = 1000;
  var token = new URLSearchParams(location.search).get("token");
  var SVG = "http://www.w3.org/2000/svg";

  function $(id) { return document.getElementById(id); }
  function text(id, s) { var e = $(id); if (e && e.textContent !== s) e.textContent = s == null ? "" : s; }
  function tone(el, t) {
    el.classList.remove("tone-ok", "tone-warn", "tone-bad");
    if (t) el.classList.add("tone-" + t);
  }
  function cell(tr, s, cls) { var td = document.createElement("td"); td.textContent = s == null ? "" : s; if (cls) td.className = cls; tr.appendChild(td); return td; }

  // Replaces a table body's rows, keeping the number of rows the same when nothing changed.
  function rows(tableId, items, build, emptyText, cols) {
    var body = $(tableId).tBodies[0];
    var frag = document.createDocumentFragment();
    if (!items.length) {
      var tr = document.createElement("tr"); tr.className = "empty";
      var td = cell(tr, emptyText); td.colSpan = cols; frag.appendChild(tr);
    }
    items.forEach(function (it) { var tr = document.createElement("tr"); build(tr, it); frag.appendChild(tr); });
    body.replaceChildren(frag);
  }

  function niceMax(v) {
    if (!(v > 0)) return 1;
    var p = Math.pow(10, Math.floor(Math.log10(v))), m = v / p;
    return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
  }
  function fmtMs(ms) {
    if (ms < 1000) return Math.round(ms) + " ms";
    if (ms < 60000) return (ms / 1000).toFixed(1) + " s";
    return Math.round(ms / 60000) + " min";
  }
  function fmtRate(r) {
    if (r < 10) return r.toFixed(1) + "/s";
    if (r < 1000) return Math.round(r) + "/s";
    return (r / 1000).toFixed(1) + "k/s";
  }
  function ago(ms) { var m = Math.round(ms / 60000); return m < 1 ? Math.round(ms / 1000) + " s ago" : m + " min ago"; }

  // One SVG chart: series [{values, cls}], x = time over [t0, t1], y from 0 to a round max.
  function chart(id, t, series, fmt) {
    var svg = $(id), W = 600, H = 180, pad = 6;
    var max = 0, n = 0;
    series.forEach(function (s) { s.values.forEach(function (v) { if (v != null) { n++; if (v > max) max = v; } }); });
    max = niceMax(max);
    var t1 = t.length ? t[t.length - 1] : Date.now(), t0 = t.length ? Math.min(t[0], t1 - 60000) : t1 - 60000;
    var frag = document.createDocumentFragment();
    [0, 0.5, 1].forEach(function (f) {
      var l = document.createElementNS(SVG, "line");
      var y = H - pad - f * (H - 2 * pad);
      l.setAttribute("x1", 0); l.setAttribute("x2", W); l.setAttribute("y1", y); l.setAttribute("y2", y);
      l.setAttribute("class", "grid"); frag.appendChild(l);
    });
    series.forEach(function (s) {
      var pts = [], d = "";
      for (var i = 0; i < t.length; i++) {
        var v = s.values[i];
        if (v == null) { if (pts.length) { d += "M" + pts.join("L"); pts = []; } continue; }
        var x = ((t[i] - t0) / Math.max(1, t1 - t0)) * W;
        var y = H - pad - (Math.min(v, max) / max) * (H - 2 * pad);
        pts.push(x.toFixed(1) + "," + y.toFixed(1));
      }
      if (pts.length) d += "M" + pts.join("L");
      if (d) {
        var p = document.createElementNS(SVG, "path");
        p.setAttribute("d", d); p.setAttribute("class", "line " + s.cls); frag.appendChild(p);
      }
    });
    svg.replaceChildren(frag);
    svg.setAttribute("data-points", String(n));
    text(id + "-max", "max " + fmt(max));
    text(id + "-from", t.length ? ago(t1 - t0) : "no points yet");
  }

  function render(s) {
    var v = $("verdict"); v.textContent = s.verdict.word; tone(v, s.verdict.tone);
    text("reason", s.verdict.reason || "every stage runs and Convex is within the lag bound");
    text("updated", "read " + s.readText);
    document.title = "pgconvex: " + s.verdict.word;

    var sm = s.summary;
    text("lag", sm.lag.text);
    text("applied", sm.applied.text); text("applied-total", sm.applied.totalText + " ops since start");
    text("captured", sm.captured.text); text("captured-total", sm.captured.totalText + " changes since start");
    text("slot", sm.slotLag.text); text("slot-detail", sm.slotLag.detail);

    var h = s.history;
    chart("lag-chart", h.t, [{ values: h.lagMs, cls: "lag" }], fmtMs);
    chart("rate-chart", h.t, [{ values: h.appliedPerS, cls: "applied" }, { values: h.capturedPerS, cls: "captured" }], fmtRate);

    rows("tables", s.tables.rows, function (tr, r) {
      tr.dataset.table = r.table; tone(tr, r.tone);
      cell(tr, r.table); cell(tr, r.pgText, "num pg"); cell(tr, r.convexText, "num convex"); cell(tr, r.diffText, "num");
      tr.querySelector(".pg").dataset.value = r.pgRows; tr.querySelector(".convex").dataset.value = r.convexDocs;
    }, s.tables.known ? "counting…" : "not known here", 4);
    text("tables-counted", s.tables.countedText || "");
    text("tables-note", s.tables.note || "");

    rows("stages", s.stages, function (tr, r) {
      tr.dataset.stage = r.stage; tone(tr, r.tone);
      cell(tr, r.stage); cell(tr, r.state, "state"); cell(tr, r.detail);
      cell(tr, r.lastError ? r.lastError.message + " (" + r.lastError.agoText + ")" : "none");
    }, "", 4);
    text("unreachable", s.unreachable.length ? "not reachable: " + s.unreachable.join("; ") : "");

    var al = $("alerts"), frag = document.createDocumentFragment();
    if (!s.alerts.length) { var li = document.createElement("li"); li.className = "none"; li.textContent = "none firing"; frag.appendChild(li); }
    s.alerts.forEach(function (a) {
      var li = document.createElement("li"); tone(li, a.tone); li.dataset.alert = a.alert;
      var b = document.createElement("b"); b.textContent = a.alert + " (" + a.severity + ", " + a.sinceText + ")"; li.appendChild(b);
      li.appendChild(document.createElement("br")); li.appendChild(document.createTextNode(a.reason));
      if (a.fix) { var f = document.createElement("div"); f.className = "fix"; f.textContent = a.fix; li.appendChild(f); }
      frag.appendChild(li);
    });
    al.replaceChildren(frag);
    text("alerts-count", String(s.alerts.length));

    text("pending-count", s.pending.text); text("pending-oldest", s.pending.oldestText || "");
    rows("pending", s.pending.rows, function (tr, r) { cell(tr, r.table); cell(tr, r.key); cell(tr, r.waitsFor); },
      s.pending.count ? "listing…" : "no row waits", 3);

    text("dlq-count", s.deadLetters.text);
    rows("dlq", s.deadLetters.groups, function (tr, g) {
      tone(tr, "bad"); cell(tr, g.stage); cell(tr, g.reason); cell(tr, g.countText, "num"); cell(tr, g.tables.join(", "));
    }, "none", 4);

    var vw = $("verify-word");
    if (s.verify) { vw.textContent = s.verify.word; tone(vw, s.verify.tone); text("verify-text", s.verify.text); text("verify-detail", s.verify.detail); }
    else if (s.cutover.last && s.cutover.last.verifyText) {
      vw.textContent = s.cutover.last.verifyTone === "ok" ? "equal" : "differs"; tone(vw, s.cutover.last.verifyTone);
      text("verify-text", "last cutover " + s.cutover.last.cutoverId + ", " + s.cutover.last.verifyText); text("verify-detail", "no background verification here (verify.continuous.enabled)");
    }
    else { vw.textContent = "off"; tone(vw, null); text("verify-text", "no background verification here (verify.continuous.enabled, or ./cdc verify)"); text("verify-detail", ""); }

    var rd = s.cutover.readiness, rw = $("ready-word");
    if (rd) {
      rw.textContent = rd.ready ? "ready" : "not ready"; tone(rw, rd.ready ? "ok" : "warn");
      rows("readiness", rd.checks, function (tr, c) {
        tone(tr, c.verdict === "ok" ? "ok" : c.verdict === "not ok" ? "bad" : null);
        cell(tr, c.name); cell(tr, c.verdict); cell(tr, c.value); cell(tr, c.reason);
      }, "", 4);
    } else { rw.textContent = "unknown"; tone(rw, null); rows("readiness", [], null, "readiness not evaluated here", 4); }
    var last = s.cutover.last, steps = $("cutover-steps"), sf = document.createDocumentFragment();
    if (last) {
      text("cutover-last", "last cutover " + last.cutoverId + ": " + last.state + (last.step ? " at " + last.step : "") +
        (last.reason ? " (" + last.reason + ")" : "") + (last.pauseText ? ", " + last.pauseText : "") + (last.verifyText ? ", " + last.verifyText : "") + (last.updatedText ? ", " + last.updatedText : ""));
      last.steps.forEach(function (st) { var li = document.createElement("li"); li.textContent = st.state + " " + st.agoText; sf.appendChild(li); });
    } else { text("cutover-last", "no cutover yet: ./cdc cutover --check tells the same readiness"); }
    steps.replaceChildren(sf);
  }

  function poll() {
    var headers = token ? { Authorization: "Bearer " + token } : {};
    fetch("state.json", { headers: headers, cache: "no-store" })
      .then(function (r) { if (!r.ok) throw new Error("answered " + r.status); return r.json(); })
      .then(function (s) { if (!s.loading) { render(s); document.body.dataset.live = "1"; } })
      .catch(function (e) { var v = $("verdict"); v.textContent = "no answer"; tone(v, "bad"); text("reason", "the dashboard's server did not answer: " + e.message); })
      .finally(function () { setTimeout(poll, POLL_MS); });
  }
  // The page's links need no token: opening it with ?token= gave the browser the dashboard's cookie.
  poll();
})();
