// Attain's page script: charts, tables and the navigation. Every page works without it; it
// only adds (progressive enhancement, no build step).
(function () {
  // Embed every Vega-Lite spec the page carries (after the first load and after HTMX swaps).
  function embedAll(root) {
    root.querySelectorAll("script[data-vega-for]").forEach(function (node) {
      var target = document.getElementById(node.dataset.vegaFor);
      if (!target || target.dataset.embedded) return;
      target.dataset.embedded = "1";
      var spec = JSON.parse(node.textContent);
      window.vegaEmbed(target, spec, {
        renderer: "canvas",
        actions: { export: true, source: false, compiled: false, editor: false },
      }).then(function () {
        // vega-embed's menu titles its <details>, not the <summary> a screen reader announces.
        target.querySelectorAll("details > summary").forEach(function (summary) {
          summary.setAttribute("aria-label", "Save this chart as an image");
        });
        var canvas = target.querySelector("canvas");
        if (canvas && spec.description) {
          canvas.setAttribute("role", "img");
          canvas.setAttribute("aria-label", spec.description);
        }
      });
    });
  }

  // A cell's number: "$1,234", "93%", "1.4×", "-12" (null when the cell is text or empty).
  var NUMBER = /^[-+−]?[$€£¥]?\s*[-+−]?[\d,]*\.?\d+\s*(%|×|x|k|m|d)?$/i;
  function numberOf(cell) {
    if (cell.dataset.value !== undefined && cell.dataset.value !== "") {
      var given = parseFloat(cell.dataset.value);
      if (!isNaN(given)) return given;
    }
    var text = cell.textContent.trim().split(/\s/)[0].replace("−", "-");
    if (!NUMBER.test(text)) return null;
    var value = parseFloat(text.replace(/[^\d.\-]/g, ""));
    return isNaN(value) ? null : value;
  }

  // Columns whose filled cells are all numbers are numeric: aligned right, sorted by value.
  function markNumeric(table) {
    var head = table.tHead && table.tHead.rows[0];
    if (!head || !table.tBodies[0]) return;
    var rows = Array.prototype.slice.call(table.tBodies[0].rows);
    Array.prototype.forEach.call(head.cells, function (th, index) {
      var filled = 0, numbers = 0;
      rows.forEach(function (row) {
        var cell = row.cells[index];
        if (!cell || cell.colSpan > 1) return;
        var text = cell.textContent.trim();
        if (text === "" || text === "—") return;
        filled += 1;
        if (numberOf(cell) !== null) numbers += 1;
      });
      if (filled > 0 && numbers === filled) {
        th.classList.add("num");
        rows.forEach(function (row) { if (row.cells[index]) row.cells[index].classList.add("num"); });
      }
    });
  }

  function sortBy(table, index, th) {
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    if (rows.some(function (row) { return row.cells.length === 1 && row.cells[0].colSpan > 1; })) return;
    var ascending = th.getAttribute("aria-sort") !== "ascending";
    var numeric = th.classList.contains("num");
    rows.sort(function (a, b) {
      var x = a.cells[index], y = b.cells[index];
      var order;
      if (numeric) {
        var u = numberOf(x), v = numberOf(y);
        order = (u === null ? -Infinity : u) - (v === null ? -Infinity : v);
      } else {
        order = x.textContent.trim().localeCompare(y.textContent.trim());
      }
      return ascending ? order : -order;
    });
    Array.prototype.forEach.call(th.parentNode.cells, function (other) { other.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    rows.forEach(function (row) { body.appendChild(row); });
  }

  // Long tables show their first PAGE rows and a button for the rest; filtering or sorting
  // shows them all.
  var PAGE = 25;
  function page(table, wrap) {
    var rows = Array.prototype.slice.call(table.tBodies[0].rows);
    if (rows.length <= PAGE) return function () {};
    rows.slice(PAGE).forEach(function (row) { row.hidden = true; });
    var more = document.createElement("button");
    more.type = "button";
    more.className = "secondary outline show-all";
    more.textContent = "Show all " + rows.length + " rows";
    wrap.parentNode.insertBefore(more, wrap.nextSibling);
    function showAll() {
      if (!more.parentNode) return;
      rows.forEach(function (row) { row.hidden = false; });
      more.parentNode.removeChild(more);
    }
    more.addEventListener("click", showAll);
    return showAll;
  }

  // Sortable headers (buttons, so the keyboard sorts too), a filter box over tables of more
  // than 8 rows, and tables wider than the screen scrolling inside a focusable box.
  var LONG = 8;
  function enhance(table, n) {
    if (table.dataset.enhanced || !table.tHead || !table.tBodies[0]) return;
    table.dataset.enhanced = "1";
    markNumeric(table);
    var label = table.getAttribute("aria-label") || (table.dataset.testid || "table " + n).replace(/-/g, " ");
    var wrap = document.createElement("div");
    wrap.className = "table-wrap";
    wrap.setAttribute("role", "region");
    wrap.setAttribute("aria-label", label);
    wrap.tabIndex = 0;
    table.parentNode.insertBefore(wrap, table);
    wrap.appendChild(table);
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, index) {
      if (!th.textContent.trim() || th.querySelector("button, a, input")) return;
      var button = document.createElement("button");
      button.type = "button";
      button.className = "sort";
      while (th.firstChild) button.appendChild(th.firstChild);
      th.appendChild(button);
      button.addEventListener("click", function () { showAll(); sortBy(table, index, th); });
    });
    var showAll = page(table, wrap);
    if (table.tBodies[0].rows.length > LONG) {
      var tools = document.createElement("div");
      tools.className = "table-tools";
      var box = document.createElement("input");
      box.type = "search";
      box.placeholder = "Filter rows";
      box.setAttribute("aria-label", "Filter the rows of " + label);
      var count = document.createElement("span");
      count.className = "muted";
      count.setAttribute("aria-live", "polite");
      tools.appendChild(box);
      tools.appendChild(count);
      wrap.parentNode.insertBefore(tools, wrap);
      box.addEventListener("input", function () {
        showAll();
        var words = box.value.toLowerCase().trim();
        var shown = 0;
        Array.prototype.forEach.call(table.tBodies[0].rows, function (row) {
          var hit = !words || row.textContent.toLowerCase().indexOf(words) !== -1;
          row.hidden = !hit;
          if (hit) shown += 1;
        });
        count.textContent = words ? shown + " of " + table.tBodies[0].rows.length + " rows" : "";
      });
    }
  }
  function enhanceAll(root) {
    root.querySelectorAll("main table").forEach(enhance);
  }

  // One navigation group open at a time; Escape closes it and returns focus to its title.
  function navigation() {
    var groups = document.querySelectorAll("header nav details");
    groups.forEach(function (group) {
      group.addEventListener("toggle", function () {
        if (!group.open) return;
        groups.forEach(function (other) { if (other !== group) other.open = false; });
      });
      group.addEventListener("keydown", function (event) {
        if (event.key === "Escape" && group.open) {
          group.open = false;
          group.querySelector("summary").focus();
        }
      });
    });
    document.addEventListener("click", function (event) {
      groups.forEach(function (group) { if (!group.contains(event.target)) group.open = false; });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    navigation();
    enhanceAll(document);
    embedAll(document);
  });
  // The whole document, not the event's target: an outerHTML swap (the forecast cone) settles
  // on the element it replaced, whose new chart and spec are siblings outside it.
  document.addEventListener("htmx:afterSettle", function () {
    enhanceAll(document);
    embedAll(document);
  });
})();
