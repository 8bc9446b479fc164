/* Draw every chart of the page with vega-embed (shipped in vega.min.js; no network). */
(function () {
  "use strict";
  var figures = document.querySelectorAll("div.vis[data-spec]");
  Array.prototype.forEach.call(figures, function (el) {
    var spec = JSON.parse(document.getElementById(el.getAttribute("data-spec")).textContent);
    window.vegaEmbed(el, spec, { actions: false, renderer: "svg" }).catch(function () {
      el.textContent = "The interactive chart could not be drawn: its description and data " +
        "table follow.";
    });
  });
})();
