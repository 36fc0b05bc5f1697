// The light or dark theme: the one chosen with the toggle (kept in localStorage), else the
// system's (prefers-color-scheme, which Pico follows when <html> has no data-theme). Loaded
// before the page paints, so a chosen theme never flashes the other one.
(function () {
  var KEY = "attain-theme";
  var root = document.documentElement;
  var chosen = null;
  try { chosen = window.localStorage.getItem(KEY); } catch (e) { chosen = null; }
  if (chosen === "light" || chosen === "dark") root.dataset.theme = chosen;

  function current() {
    if (root.dataset.theme) return root.dataset.theme;
    return window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches
      ? "dark" : "light";
  }
  function label(button) {
    button.setAttribute("aria-pressed", current() === "dark" ? "true" : "false");
  }
  document.addEventListener("DOMContentLoaded", function () {
    var buttons = document.querySelectorAll(".theme-toggle");
    // Without a choice the page follows the system, so the toggle's state follows it too.
    if (window.matchMedia) {
      window.matchMedia("(prefers-color-scheme: dark)").addEventListener("change", function () {
        buttons.forEach(label);
      });
    }
    buttons.forEach(function (button) {
      label(button);
      button.addEventListener("click", function () {
        var next = current() === "dark" ? "light" : "dark";
        root.dataset.theme = next;
        try { window.localStorage.setItem(KEY, next); } catch (e) { /* private mode */ }
        label(button);
      });
    });
  });
})();
