/* healthgap dashboard: charts (vega-embed, shipped; no network) and filters kept in the URL.
 * Without this script every page still works: the server applies the filters of the query
 * string, and the "Show" button submits them; a static site shows its default view. With it,
 * a filter applies as soon as it is chosen. On the server the page for the new URL is sent.
 * On a static site the page has every row and hides the others, and reads what its filters
 * need from files the export wrote beside it (healthgap.publish.web._site_data): the charts
 * of every state (data/<page>.charts.json), each table's CSV lines (data/<page>.lines.json,
 * so a download holds the rows shown, as the server's does) and each area's rows for
 * "Compare two areas" (data/compare-<area>.json). Either way the URL holds the view (so it
 * can be shared) and the back button restores it. */
(function () {
  "use strict";
  var body = document.body;
  var mode = body.getAttribute("data-mode");
  var page = body.getAttribute("data-page");
  var comparator = body.getAttribute("data-comparator");
  var defaultComparator = body.getAttribute("data-default-comparator");
  var suffix = comparator && comparator !== defaultComparator ? "." + comparator : "";
  var filters = words(body.getAttribute("data-filters"));
  var chartFilters = words(body.getAttribute("data-chart-filters"));
  var status = document.getElementById("status");
  var loaded = {};
  var drawnState = null;  // the charts' state when not the page's own (static sites)

  function words(text) {
    return (text || "").split(" ").filter(function (w) { return w; });
  }

  function load(name) {  // a data file of this page's, fetched once
    if (!loaded[name]) {
      loaded[name] = fetch("data/" + name).then(function (r) {
        if (!r.ok) { throw new Error("data/" + name + " could not be read"); }
        return r.json();
      });
    }
    return loaded[name];
  }

  function say(text) {
    if (status) { status.textContent = text; }
  }

  // ast: Vega interprets its expressions instead of compiling them with Function(), so the
  // Content-Security-Policy needs no 'unsafe-eval'
  // one drawing at a time in each element, in the order asked: the last state asked is shown
  function draw(el, spec) {
    var figure = el.closest("figure");
    if (figure) { figure.setAttribute("aria-busy", "true"); }
    el.drawing = (el.drawing || Promise.resolve()).then(function () {
      if (el.vegaResult) { el.vegaResult.finalize(); }
      return window.vegaEmbed(el, spec, { actions: false, renderer: "svg", ast: true });
    }).then(function (result) {
      el.vegaResult = result;
    }).catch(function () {
      el.vegaResult = null;
      el.textContent = "The interactive chart could not be drawn: its description and the " +
        "table below give the same figures.";
    });
    var mine = el.drawing;
    return mine.then(function () {
      if (figure && el.drawing === mine) { figure.removeAttribute("aria-busy"); }
    });
  }

  function drawCharts() {
    Array.prototype.forEach.call(document.querySelectorAll("div.vis[data-spec]"), function (el) {
      draw(el, JSON.parse(document.getElementById(el.getAttribute("data-spec")).textContent));
    });
  }

  function matches(value, wanted, name) {
    if (name === "period") {
      if (wanted === "latest") { return value.indexOf("latest ") === 0; }
      return value === wanted || value === "latest " + wanted;
    }
    return value === wanted;
  }

  function initial(name) {  // the value the page was made with (a static page: its default)
    var select = document.getElementById("f-" + name);
    return select ? select.getAttribute("data-initial") : "";
  }

  function readState() {
    var params = new URLSearchParams(window.location.search);
    var state = {};
    filters.forEach(function (name) { state[name] = params.get(name) || initial(name); });
    return state;
  }

  function isInitial(state) {
    return filters.every(function (name) { return state[name] === initial(name); });
  }

  function queryOf(state) {
    var params = new URLSearchParams();
    Object.keys(state).forEach(function (name) {
      if (state[name]) { params.set(name, state[name]); }
    });
    var text = params.toString();
    return text ? "?" + text : "";
  }

  function tableRows(tableId) {
    return document.querySelectorAll("table[data-table='" + tableId + "'] tbody tr");
  }

  function apply(state) {
    var shown = 0;
    Array.prototype.forEach.call(document.querySelectorAll("table.data tbody tr"), function (tr) {
      var ok = true;
      filters.forEach(function (name) {
        var value = tr.getAttribute("data-f-" + name);
        if (state[name] && value !== null && !matches(value, state[name], name)) { ok = false; }
      });
      tr.hidden = !ok;
      if (ok) { shown += 1; }
    });
    filters.forEach(function (name) {
      var select = document.getElementById("f-" + name);
      if (select && select.value !== state[name]) { select.value = state[name]; }
    });
    var query = queryOf(state);
    var initialState = isInitial(state);
    Array.prototype.forEach.call(document.querySelectorAll("a.download"), function (a) {
      if (mode === "server") {
        a.href = a.getAttribute("href").split("?")[0] + query;
      } else if (initialState) {  // the file written beside the page
        a.removeAttribute("data-shown-rows");
      } else {  // made from the rows shown when followed
        a.setAttribute("data-shown-rows", "1");
      }
    });
    say(shown + " rows shown");
    if (mode === "static" && chartFilters.length) { showCharts(state, initialState); }
  }

  /* Static sites: the charts and the period options of the state, as the server draws them. */
  function showCharts(state, initialState) {
    if (initialState && drawnState === null) { return; }
    busy(load(page + suffix + ".charts.json").then(function (data) {
      var periods = data.periods[state.sex] || [];
      periodOptions(periods, state.period);
      var period = state.period === "latest" ? periods[0] : state.period;
      var key = state.sex + "|" + period;
      var charts = data.states[key];
      if (!charts) { say("No charts are published for " + state.sex + ", " + state.period); return; }
      if (key === drawnState) { return; }
      drawnState = key;
      return Promise.all(charts.map(function (chart) { return redraw(chart, data); }));
    }));
  }

  function busy(promise) {  // the main content is marked busy until it is redrawn
    var main = document.getElementById("main");
    main.setAttribute("aria-busy", "true");
    busy.pending = (busy.pending || 0) + 1;
    return promise.catch(function (error) { say(String(error)); }).then(function () {
      busy.pending -= 1;
      if (!busy.pending) { main.removeAttribute("aria-busy"); }
    });
  }

  function periodOptions(periods, chosen) {
    var select = document.getElementById("f-period");
    if (!select) { return; }
    var now = Array.prototype.map.call(select.options, function (o) { return o.value; });
    var wanted = ["latest"].concat(periods);
    if (now.join("\n") !== wanted.join("\n")) {
      select.textContent = "";
      wanted.forEach(function (value) {
        var option = document.createElement("option");
        option.value = value;
        option.textContent = value === "latest" ? "Latest" : value;
        select.appendChild(option);
      });
    }
    select.value = chosen;
  }

  function redraw(chart, data) {
    var figure = document.getElementById(chart.id);
    if (!figure) { return null; }
    var spec = JSON.parse(JSON.stringify(data.specs[chart.spec]));
    var datasets = JSON.parse(JSON.stringify(chart.data));
    Object.keys(datasets).forEach(function (name) {
      var set = datasets[name];
      if (set && set.features) {  // boundaries are written once, named by area code
        set.features.forEach(function (f) { f.geometry = data.geometry[f.geometry]; });
      }
    });
    spec.description = chart.alt;
    spec.datasets = datasets;
    figure.querySelector("figcaption").textContent = chart.title;
    var alt = figure.querySelector("p.alt");
    alt.lastChild.textContent = " " + chart.alt;
    var vis = figure.querySelector("div.vis");
    document.getElementById(vis.getAttribute("data-spec")).textContent = JSON.stringify(spec);
    return draw(vis, spec);
  }

  /* Static sites: a download of a filtered view is made here, from the CSV lines of the rows
   * shown (the server's own lines, spreadsheet-safe), and saved as a file. */
  function linesCsv(tableId) {
    return load(page + suffix + ".lines.json").then(function (data) {
      var table = data.tables[tableId];
      var shown = {};
      Array.prototype.forEach.call(tableRows(tableId), function (tr, i) {
        if (!tr.hidden) { shown[i] = true; }
      });
      var out = [table.header];
      table.rows.forEach(function (row, i) {
        if (shown[row]) { out.push(table.lines[i]); }
      });
      return out.join("");
    });
  }

  function save(text, name) {
    var url = URL.createObjectURL(new Blob([text], { type: "text/csv;charset=utf-8" }));
    var a = document.createElement("a");
    a.href = url;
    a.download = name;
    a.hidden = true;
    body.appendChild(a);
    a.click();
    body.removeChild(a);
    window.setTimeout(function () { URL.revokeObjectURL(url); }, 60000);
  }

  document.addEventListener("click", function (event) {
    var a = event.target.closest ? event.target.closest("a.download[data-shown-rows]") : null;
    if (!a || mode !== "static") { return; }
    event.preventDefault();
    var name = a.getAttribute("href").split("?")[0].split("/").pop();
    var made = page === "compare" ? compareCsv() : linesCsv(a.getAttribute("data-table"));
    made.then(function (text) { save(text, name); }).catch(function (error) { say(String(error)); });
  });

  function onChange(event) {
    var select = event.target;
    if (select.hasAttribute("data-navigates")) {
      var option = select.options[select.selectedIndex];
      var href = option.getAttribute("data-href");
      if (href && suffix) { href = href.replace(/\.html$/, suffix + ".html"); }
      if (href) { window.location.href = href + window.location.search; }
      return;
    }
    if (select.hasAttribute("data-comparator")) {  // another page, in the same state
      var params = new URLSearchParams(window.location.search);
      var now = readState();
      filters.forEach(function (name) {
        if (now[name]) { params.set(name, now[name]); } else { params.delete(name); }
      });
      params.delete("comparator");
      var query = params.toString();
      window.location.href = pageFor(select.value) + (query ? "?" + query : "");
      return;
    }
    if (page === "compare") { return; }  // the two areas: see onCompareChange
    var state = readState();
    state[select.name] = select.value;
    if (mode === "server") {  // the server sends the rows of the chosen filters only
      window.location.search = queryOf(state);
      return;
    }
    window.history.pushState(state, "", window.location.pathname + queryOf(state));
    apply(readState());  // as the server reads it: an empty value is the default
  }

  function pageFor(chosen) {
    return page + (chosen && chosen !== defaultComparator ? "." + chosen : "") + ".html";
  }

  /* "Compare two areas" on a static site: both areas' rows (data/compare-<area>.json) set
   * side by side as the server does: the first area's series in order, each with the
   * second's, then the second's series the first lacks. */
  function compareAreas() {
    var params = new URLSearchParams(window.location.search);
    var a = params.get("a") || document.getElementById("f-a").getAttribute("data-initial");
    var b = params.get("b") || document.getElementById("f-b").getAttribute("data-initial");
    document.getElementById("f-a").value = a;
    document.getElementById("f-b").value = b;
    return Promise.all([load("compare-" + a + suffix + ".json"), load("compare-" + b + suffix + ".json")]);
  }

  function sideBySide(left, right) {
    var byKey = {};
    right.rows.forEach(function (r) { byKey[r.key] = r; });
    var seen = {};
    var rows = left.rows.map(function (l) {
      seen[l.key] = true;
      return [l, byKey[l.key] || null];
    });
    right.rows.forEach(function (r) { if (!seen[r.key]) { rows.push([null, r]); } });
    return left.rows.length && right.rows.length ? rows : [];
  }

  function compareCsv() {
    return compareAreas().then(function (both) {
      var rows = sideBySide(both[0], both[1]);
      if (!rows.length) { return both[0].empty; }
      var out = [both[0].header];
      rows.forEach(function (pair) {
        var l = pair[0], r = pair[1];
        var key = (l || r).csv[0];
        out.push(key + "," + (l ? l.csv[1] : ",,,") + "," + (r ? r.csv[2] : ",,") + "\n");
      });
      return out.join("");
    });
  }

  function cell(tag, text, cls) {
    var el = document.createElement(tag);
    el.textContent = text;
    if (cls) { el.className = cls; }
    if (tag === "th") { el.setAttribute("scope", "row"); }
    return el;
  }

  function renderCompare() {
    busy(compareAreas().then(function (both) {
      var missing = both[0].missing;
      var rows = sideBySide(both[0], both[1]);
      var table = document.querySelector("table[data-table=compare]");
      var tbody = table.querySelector("tbody");
      tbody.textContent = "";
      rows.forEach(function (pair) {
        var l = pair[0], r = pair[1];
        var first = l || r;
        var tr = document.createElement("tr");
        tr.setAttribute("data-f-sex", first.sex);
        var head = cell("th", "");
        var link = document.createElement("a");
        link.href = "indicator-" + first.indicator_id + ".html";
        link.textContent = l ? l.label : r.indicator_id;
        head.appendChild(link);
        tr.appendChild(head);
        tr.appendChild(cell("td", (l && l.period) || (r && r.period) || ""));
        [l, r].forEach(function (side) {
          var c = side ? side.cell : missing;
          tr.appendChild(cell("td", c[0], c[1]));
        });
        tbody.appendChild(tr);
      });
      var names = [both[0].name, both[1].name];
      var heads = table.querySelectorAll("thead th");
      heads[2].textContent = names[0];
      heads[3].textContent = names[1];
      table.querySelector("caption").textContent = names[0] + " and " + names[1];
      var versus = document.getElementById("f-comparator");
      document.querySelector("p.summary").textContent = names[0] + " and " + names[1] +
        " side by side, each compared with " + versus.options[versus.selectedIndex].text + ".";
      var own = both[0].area === initial("a") && both[1].area === initial("b");
      Array.prototype.forEach.call(document.querySelectorAll("a.download"), function (a) {
        if (own) { a.removeAttribute("data-shown-rows"); } else { a.setAttribute("data-shown-rows", "1"); }
      });
      say(rows.length + " rows shown");
    }));
  }

  function onCompareChange() {
    var params = new URLSearchParams(window.location.search);
    params.set("a", document.getElementById("f-a").value);
    params.set("b", document.getElementById("f-b").value);
    if (mode === "server") {
      window.location.search = "?" + params.toString();
      return;
    }
    window.history.pushState(null, "", window.location.pathname + "?" + params.toString());
    renderCompare();
  }

  var form = document.querySelector("form.filters");
  if (form) {
    Array.prototype.forEach.call(form.querySelectorAll("select"), function (s) {
      s.setAttribute("data-initial", s.value);
      s.addEventListener("change", onChange);
    });
    var button = form.querySelector("button[type=submit]");
    if (button) { button.hidden = true; }
  }
  if (page === "compare" && document.getElementById("f-a")) {
    ["f-a", "f-b"].forEach(function (id) {
      document.getElementById(id).addEventListener("change", onCompareChange);
    });
    if (mode === "static") {
      renderCompare();
      window.addEventListener("popstate", renderCompare);
    }
  } else if (filters.length) {
    if (mode === "static") { apply(readState()); }
    window.addEventListener("popstate", function () { apply(readState()); });
    // a page restored from the back-forward cache shows the state of its own URL
    window.addEventListener("pageshow", function () { apply(readState()); });
  }
  drawCharts();
})();
