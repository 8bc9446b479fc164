/* healthgap dashboard: charts (vega-embed, shipped; no network) and filters kept in the URL.
 * Without this script every page still works: the server applies the filters of the query
 * string, and the "Show" button submits them. With it, filters hide table rows at once, the
 * URL follows (so every view can be shared) and the back button restores the view. */
(function () {
  "use strict";
  var body = document.body;
  var mode = body.getAttribute("data-mode");
  var page = body.getAttribute("data-page");
  var defaultComparator = body.getAttribute("data-default-comparator");

  function drawCharts() {
    var figures = document.querySelectorAll("div.vis[data-spec]");
    Array.prototype.forEach.call(figures, function (el) {
      var spec = JSON.parse(document.getElementById(el.getAttribute("data-spec")).textContent);
      window.vegaEmbed(el, spec, { actions: false, renderer: "svg" }).catch(function () {
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
    if (select.hasAttribute("data-reload") && mode === "server") {
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
  }
  drawCharts();
})();
