// Bulk changes on case lists: "select all" ticks every row, the form counts
// what is selected, and `x` ticks the row highlighted with j/k. Without this
// file the checkboxes and the form work as they are ("select all" is then
// applied by the server).
(function () {
  "use strict";
  var form = document.getElementById("bulk");
  var all = document.getElementById("pick-all");
  var count = document.getElementById("bulk-count");
  if (!form || !all) return;

  function boxes() {
    return Array.prototype.slice.call(document.querySelectorAll("input[name=case][form=bulk]"));
  }

  function update() {
    var n = boxes().filter(function (b) { return b.checked; }).length;
    count.textContent = n === 0 ? "Select cases, then:" : n + (n === 1 ? " case" : " cases") + " selected:";
  }

  all.addEventListener("change", function () {
    boxes().forEach(function (b) { b.checked = all.checked; });
    update();
  });

  document.addEventListener("change", function (e) {
    if (e.target.name !== "case") return;
    // A row unticked by hand means "not all of them" any more.
    if (!e.target.checked) all.checked = false;
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
