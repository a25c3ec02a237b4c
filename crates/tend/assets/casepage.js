// Case page shortcuts: `e` resolves the case by submitting the page's
// Resolve form, whose button does the same without this file; `[` and `]`
// open the previous and next case of the list the agent last viewed (which
// tend.js remembers), when this case is in it.
(function () {
  "use strict";

  function neighbour(delta) {
    var list;
    try { list = JSON.parse(sessionStorage.getItem("tend.list") || "[]"); } catch (err) { return null; }
    var i = list.indexOf(window.location.pathname);
    return i < 0 ? null : list[i + delta] || null;
  }

  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (/^(INPUT|TEXTAREA|SELECT)$/.test(e.target.tagName) || e.target.isContentEditable) return;
    var help = document.getElementById("help");
    if (help && !help.hidden) return;
    if (e.key === "e") {
      var form = document.getElementById("resolve");
      if (!form) return;
      e.preventDefault();
      form.submit();
    } else if (e.key === "[" || e.key === "]") {
      var href = neighbour(e.key === "]" ? 1 : -1);
      if (!href) return;
      e.preventDefault();
      window.location.href = href;
    }
  });

  // "Then open the next case": offered when this case is in the list the
  // agent came from and another follows it; the reply form carries the
  // next case's address, and the server goes there after sending.
  var next = neighbour(1);
  var form = document.getElementById("reply-form");
  var field = document.getElementById("reply-next");
  if (next && form && field) {
    var label = document.createElement("label");
    label.className = "then-next";
    var box = document.createElement("input");
    box.type = "checkbox";
    box.id = "then-next";
    label.appendChild(box);
    label.appendChild(document.createTextNode(" Then open the next case"));
    form.querySelector(".send").appendChild(label);
    form.addEventListener("submit", function () { field.value = box.checked ? next : ""; });
  }

  // A case opens where the work is: at its latest message and the reply
  // box, not at the top of a long conversation (a link to a place on the
  // page, such as #latest, still goes there).
  var latest = document.getElementById("latest");
  if (latest && !window.location.hash) {
    var composer = document.querySelector(".composers") || latest;
    composer.scrollIntoView({ block: "end" });
  }
})();
