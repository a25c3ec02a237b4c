// Bulk changes on case lists: "select all" ticks every row, the form counts
// what is selected, and `x` ticks the row highlighted with j/k. Listeners sit
// on the document, so they keep working when views.js redraws the list.
// Without this file the checkboxes and the form work as they are ("select
// all" is then applied by the server).
(function () {
  "use strict";

  function boxes() {
    return Array.prototype.slice.call(document.querySelectorAll("input[name=case][form=bulk]"));
  }

  function update() {
    var count = document.getElementById("bulk-count");
    if (!count) return;
    var n = boxes().filter(function (b) { return b.checked; }).length;
    count.textContent = n === 0 ? "Select cases, then:" : n + (n === 1 ? " case" : " cases") + " selected:";
  }

  document.addEventListener("change", function (e) {
    var all = document.getElementById("pick-all");
    if (e.target === all) {
      boxes().forEach(function (b) { b.checked = all.checked; });
    } else if (e.target.name === "case") {
      // A row unticked by hand means "not all of them" any more.
      if (!e.target.checked && all) all.checked = false;
    } else {
      return;
    }
    update();
  });

  document.addEventListener("keydown", function (e) {
    if (e.key !== "x" || e.ctrlKey || e.metaKey || e.altKey) return;
    if (/^(INPUT|TEXTAREA|SELECT)$/.test(e.target.tagName)) return;
    var box = document.querySelector("[data-list] tbody tr.selected input[name=case]");
    if (!box) return;
    box.click();
    e.preventDefault();
  });

  update();
})();
