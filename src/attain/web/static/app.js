// Embed every Vega-Lite spec the page carries (after the first load and after HTMX swaps).
(function () {
  function embedAll(root) {
    root.querySelectorAll("script[data-vega-for]").forEach(function (node) {
      var target = document.getElementById(node.dataset.vegaFor);
      if (!target || target.dataset.embedded) return;
      target.dataset.embedded = "1";
      window.vegaEmbed(target, JSON.parse(node.textContent), {
        renderer: "canvas",
        actions: { export: true, source: false, compiled: false, editor: false },
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { embedAll(document); });
  // The whole document, not the event's target: an outerHTML swap (the forecast cone) settles
  // on the element it replaced, whose new chart and spec are siblings outside it.
  document.addEventListener("htmx:afterSettle", function () { embedAll(document); });
})();
