// Suggests knowledge-base articles while someone types. Every input or
// textarea marked `data-suggest` gets a list of matching published articles
// below it (from /help/suggest, shown with textContent only). When a
// suggestion is opened and the form it was suggested for is then left
// unsent, a deflection is recorded (POST /help/deflections with the page's
// help token). Without this file the forms simply work as they are.
(function () {
  "use strict";
  var tokenField = document.getElementById("help-token");
  var token = tokenField ? tokenField.value : "";
  var KEY = "tend-kb-opened";

  // A deflection left over from the page a suggestion was opened from.
  function recordPending() {
    var pending = null;
    try { pending = JSON.parse(sessionStorage.getItem(KEY) || "null"); } catch (e) { pending = null; }
    if (!pending || !token) return;
    sessionStorage.removeItem(KEY);
    var body = new URLSearchParams();
    body.set("csrf", token);
    body.set("article_id", String(pending.id));
    body.set("query", pending.query || "");
    fetch("/help/deflections", { method: "POST", body: body, credentials: "same-origin" });
  }

  function attach(field) {
    var list = document.createElement("ul");
    list.className = "suggestions";
    list.setAttribute("aria-live", "polite");
    list.hidden = true;
    field.insertAdjacentElement("afterend", list);
    var timer = null;
    var last = "";
    var form = field.form;
    if (form) {
      form.addEventListener("submit", function () { sessionStorage.removeItem(KEY); });
    }

    function show(items, query) {
      list.textContent = "";
      items.forEach(function (item) {
        var li = document.createElement("li");
        var a = document.createElement("a");
        a.href = item.url;
        a.textContent = item.title;
        a.className = "suggestion";
        a.addEventListener("click", function () {
          sessionStorage.setItem(KEY, JSON.stringify({ id: item.id, query: query }));
        });
        var p = document.createElement("p");
        p.textContent = item.snippet;
        li.appendChild(a);
        li.appendChild(p);
        list.appendChild(li);
      });
      list.hidden = items.length === 0;
    }

    field.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var query = field.value.trim();
        if (query === last) return;
        last = query;
        if (query.length < 3) { show([], query); return; }
        fetch("/help/suggest?q=" + encodeURIComponent(query), { credentials: "same-origin" })
          .then(function (r) { return r.ok ? r.json() : []; })
          .then(function (items) { if (field.value.trim() === query) show(items, query); })
          .catch(function () { show([], query); });
      }, 300);
    });
  }

  recordPending();
  Array.prototype.forEach.call(document.querySelectorAll("[data-suggest]"), attach);
})();
