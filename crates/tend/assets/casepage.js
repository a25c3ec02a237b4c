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

  // Times typed in forms (a promise's due time, a snooze) are the agent's
  // local time: send the browser's offset from UTC at the time chosen (or
  // now, for a preset), so the server reads them in the agent's zone.
  // Without this script the server reads them as UTC.
  Array.prototype.forEach.call(document.querySelectorAll("form[data-local-time]"), function (f) {
    f.addEventListener("submit", function () {
      var field = f.querySelector("input[type=datetime-local]");
      var at = field && field.value ? new Date(field.value) : new Date();
      if (isNaN(at.getTime())) at = new Date();
      var offset = f.querySelector("input[name=tz_offset]");
      if (offset) offset.value = String(-at.getTimezoneOffset());
    });
  });

  // A case opens where the work is: at its latest message and the reply
  // box, not at the top of a long conversation (a link to a place on the
  // page, such as #latest, still goes there).
  var latest = document.getElementById("latest");
  if (latest && !window.location.hash) {
    var composer = document.querySelector(".composers") || latest;
    composer.scrollIntoView({ block: "end" });
  }
})();
