/* healthgap dashboard: charts (vega-embed, shipped; no network) and filters kept in the URL.
 * Without this script every page still works: the server applies the filters of the query
 * string, and the "Show" button submits them. With it, a filter applies as soon as it is
 * chosen: the server sends the page for the new URL; a static site has every row and hides
 * the others. Either way the URL holds the view (so it can be shared) and the back button
 * restores it. */
(function () {
  "use strict";
  var body = document.body;
  var mode = body.getAttribute("data-mode");
  var page = body.getAttribute("data-page");
  var defaultComparator = body.getAttribute("data-default-comparator");

  // ast: Vega interprets its expressions instead of compiling them with Function(), so the
  // Content-Security-Policy needs no 'unsafe-eval'
  function drawCharts() {
    var figures = document.querySelectorAll("div.vis[data-spec]");
    Array.prototype.forEach.call(figures, function (el) {
      var spec = JSON.parse(document.getElementById(el.getAttribute("data-spec")).textContent);
      window.vegaEmbed(el, spec, { actions: false, renderer: "svg", ast: true }).catch(function () {
        el.textContent = "The interactive chart could not be drawn: its description and the " +
          "table below give the same figures.";
      });
    });
  }

  function matches(value, wanted, name) {
    if (name === "period") {
      if (wanted === "latest") { return value.indexOf("latest ") === 0; }
      return value === wanted || value === "latest " + wanted;
    }
    return value === wanted;
  }

  function filterNames() {
    var names = [];
    Array.prototype.forEach.call(document.querySelectorAll("form.filters select"), function (s) {
      if (!s.hasAttribute("data-navigates") && !s.hasAttribute("data-comparator")) {
        names.push(s.name);
      }
    });
    return names;
  }

  function readState() {
    var params = new URLSearchParams(window.location.search);
    var state = {};
    filterNames().forEach(function (name) {
      var select = document.getElementById("f-" + name);
      state[name] = params.has(name) ? params.get(name) : select.getAttribute("data-initial");
    });
    return state;
  }

  function apply(state) {
    var shown = 0;
    Array.prototype.forEach.call(document.querySelectorAll("table.data tbody tr"), function (tr) {
      var ok = true;
      Object.keys(state).forEach(function (name) {
        var wanted = state[name];
        var value = tr.getAttribute("data-f-" + name);
        if (wanted && value !== null && !matches(value, wanted, name)) { ok = false; }
      });
      tr.hidden = !ok;
      if (ok) { shown += 1; }
    });
    Object.keys(state).forEach(function (name) {
      var select = document.getElementById("f-" + name);
      if (select && state[name] !== null) { select.value = state[name]; }
    });
    var query = queryOf(state);
    Array.prototype.forEach.call(document.querySelectorAll("a.download"), function (a) {
      a.href = a.getAttribute("href").split("?")[0] + (mode === "server" ? query : "");
    });
    var status = document.getElementById("status");
    if (status) { status.textContent = shown + " rows shown"; }
  }

  function queryOf(state) {
    var params = new URLSearchParams();
    Object.keys(state).forEach(function (name) {
      if (state[name]) { params.set(name, state[name]); }
    });
    var text = params.toString();
    return text ? "?" + text : "";
  }

  function pageFor(comparator) {
    return page + (comparator && comparator !== defaultComparator ? "." + comparator : "") +
      ".html";
  }

  function onChange(event) {
    var select = event.target;
    if (select.hasAttribute("data-navigates")) {
      var option = select.options[select.selectedIndex];
      var href = option.getAttribute("data-href");
      var comparator = body.getAttribute("data-comparator");
      if (href && comparator !== defaultComparator) {
        href = href.replace(/\.html$/, "." + comparator + ".html");
      }
      if (href) { window.location.href = href + window.location.search; }
      return;
    }
    var state = readState();
    state[select.name] = select.value;
    if (select.hasAttribute("data-comparator")) {
      window.location.href = pageFor(select.value) + queryOf(state);
      return;
    }
    if (mode === "server") {  // the server sends the rows of the chosen filters only
      window.location.search = queryOf(state);
      return;
    }
    window.history.pushState(state, "", window.location.pathname + queryOf(state));
    apply(state);
  }

  var form = document.querySelector("form.filters");
  if (form) {
    Array.prototype.forEach.call(form.querySelectorAll("select"), function (s) {
      s.setAttribute("data-initial", s.value);
      s.addEventListener("change", onChange);
    });
    var button = form.querySelector("button[type=submit]");
    if (button) { button.hidden = true; }
    if (mode === "static") { apply(readState()); }
    window.addEventListener("popstate", function () { apply(readState()); });
    // a page restored from the back-forward cache shows the state of its own URL
    window.addEventListener("pageshow", function () { apply(readState()); });
  }
  drawCharts();
})();

/* Static sites only: "Compare two areas" reads both areas' tables (data/area-<code>.json)
 * and sets them side by side, as the server does. */
(function () {
  "use strict";
  var body = document.body;
  if (body.getAttribute("data-mode") !== "static" || body.getAttribute("data-page") !== "compare") {
    return;
  }
  var comparator = body.getAttribute("data-comparator");
  var symbols = { Better: "●", Similar: "■", Worse: "◆", Higher: "▲", Lower: "▼" };

  function cell(tag, text, cls) {
    var el = document.createElement(tag);
    el.textContent = text;
    if (cls) { el.className = cls; }
    if (tag === "th") { el.setAttribute("scope", "row"); }
    return el;
  }

  function valueCell(row) {
    if (!row || row.value === null) { return cell("td", "-", "cmp-not-compared"); }
    var label = (row["compared_" + comparator] || "Not compared").split(" ")[0];
    if (!symbols[label]) { label = "Not compared"; }
    var text = row.value.toLocaleString("en-GB", { minimumFractionDigits: 1, maximumFractionDigits: 1 });
    return cell("td", text + " " + (symbols[label] || "×"),
      "cmp-" + label.toLowerCase().replace(" ", "-"));
  }

  function rowsOf(code) {
    return fetch("data/area-" + code + ".json").then(function (r) {
      if (!r.ok) { throw new Error("no data for area " + code); }
      return r.json();
    }).then(function (data) { return data.tables["profile-" + code.toLowerCase()] || []; });
  }

  function render() {
    var params = new URLSearchParams(window.location.search);
    var a = params.get("a") || document.getElementById("f-a").value;
    var b = params.get("b") || document.getElementById("f-b").value;
    document.getElementById("f-a").value = a;
    document.getElementById("f-b").value = b;
    Promise.all([rowsOf(a), rowsOf(b)]).then(function (both) {
      var right = {};
      both[1].forEach(function (r) { right[r.indicator_id + "|" + r.sex + "|" + r.age] = r; });
      var table = document.querySelector("table[data-table=compare]");
      var tbody = table.querySelector("tbody");
      tbody.textContent = "";
      both[0].forEach(function (r) {
        var tr = document.createElement("tr");
        tr.setAttribute("data-f-sex", r.sex);
        var head = cell("th", "");
        var link = document.createElement("a");
        link.href = "indicator-" + r.indicator_id + ".html";
        link.textContent = r.indicator;
        head.appendChild(link);
        tr.appendChild(head);
        tr.appendChild(cell("td", r.period));
        tr.appendChild(valueCell(r));
        tr.appendChild(valueCell(right[r.indicator_id + "|" + r.sex + "|" + r.age]));
        tbody.appendChild(tr);
      });
      var heads = table.querySelectorAll("thead th");
      var names = [document.getElementById("f-a"), document.getElementById("f-b")].map(function (s) {
        return s.options[s.selectedIndex].text;
      });
      heads[2].textContent = names[0];
      heads[3].textContent = names[1];
      table.querySelector("caption").textContent = names[0] + " and " + names[1];
    }).catch(function (error) {
      document.getElementById("status").textContent = String(error);
    });
  }

  ["f-a", "f-b"].forEach(function (id) {
    document.getElementById(id).addEventListener("change", function () { window.setTimeout(render, 0); });
  });
  window.addEventListener("popstate", render);
  render();
})();
