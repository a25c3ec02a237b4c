// The case page's "Insert article link": searches published articles as
// the agent asks and inserts the chosen one's public address at the cursor
// in the reply box. Without this file the form opens the knowledge base
// search, where each public article's address is shown to copy.
(function () {
  "use strict";
  var form = document.getElementById("kb-link-picker");
  var reply = document.getElementById("reply");
  if (!form || !reply) return;
  var input = form.querySelector("input[name=q]");
  var results = document.getElementById("kb-link-results");

  // The link goes on a line of its own: a line break before it unless the
  // cursor starts a line, and after it unless one follows.
  function insert(url) {
    var start = reply.selectionStart, end = reply.selectionEnd;
    var before = reply.value.slice(0, start), after = reply.value.slice(end);
    var text = window.location.origin + url;
    if (before && !/\n$/.test(before)) text = "\n" + text;
    if (!/^\n/.test(after)) text = text + "\n";
    reply.setRangeText(text, start, end, "end");
    reply.focus();
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var query = input.value.trim();
    if (!query) return;
    fetch("/help/suggest?q=" + encodeURIComponent(query), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : []; })
      .then(function (items) {
        results.textContent = "";
        items.forEach(function (item) {
          var li = document.createElement("li");
          var button = document.createElement("button");
          button.type = "button";
          button.className = "link";
          button.textContent = item.title;
          button.addEventListener("click", function () { insert(item.url); });
          li.appendChild(button);
          results.appendChild(li);
        });
        if (items.length === 0) {
          var none = document.createElement("li");
          none.textContent = "No published article matches.";
          results.appendChild(none);
        }
        results.hidden = false;
      });
  });
})();
