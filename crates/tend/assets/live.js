// Live updates on the case page. The server streams two kinds of event:
// `presence` (who else is on the case, as a sentence) and `changed` (the case
// has changed). On a change the page fetches itself and swaps in the parts
// that show the case, leaving the composers and whatever is typed in them
// alone. While the agent types a reply, the server is told every few seconds
// so others see the collision warning. Without this file the page still
// works; it only does not update itself.
(function () {
  "use strict";
  var root = document.querySelector("[data-live]");
  if (!root || !window.EventSource) return;

  // The parts of the page that show the case rather than edit it.
  var PARTS = [".facts", ".timeline", "aside.customer", "form.properties"];
  var TYPING_EVERY_MS = 3000;

  var banner = document.getElementById("presence");
  var status = document.getElementById("live-status");
  var refreshing = false;
  var again = false;

  function csrf() {
    var field = document.querySelector("input[name=csrf]");
    return field ? field.value : "";
  }

  function swap(html) {
    var fresh = new DOMParser().parseFromString(html, "text/html");
    PARTS.forEach(function (selector) {
      var now = document.querySelector(selector);
      var next = fresh.querySelector(selector);
      // Never pull a form out from under someone using it.
      if (!now || !next || now.contains(document.activeElement)) return;
      var node = document.importNode(next, true);
      now.replaceWith(node);
      if (window.tendTimes) window.tendTimes(node);
    });
    if (status) status.textContent = "Case updated at " + new Date().toLocaleTimeString() + ".";
  }

  function refresh() {
    if (refreshing) { again = true; return; }
    refreshing = true;
    fetch(window.location.pathname + window.location.search, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) { if (html) swap(html); })
      .catch(function () {})
      .then(function () {
        refreshing = false;
        if (again) { again = false; refresh(); }
      });
  }

  var events = new EventSource(root.getAttribute("data-live"));
  events.addEventListener("presence", function (e) {
    if (!banner) return;
    banner.textContent = e.data;
    banner.hidden = e.data === "";
  });
  events.addEventListener("changed", refresh);

  var reply = document.getElementById("reply");
  var typingUrl = root.getAttribute("data-typing");
  var lastSignal = 0;
  if (reply && typingUrl) {
    reply.addEventListener("input", function () {
      var now = Date.now();
      if (now - lastSignal < TYPING_EVERY_MS) return;
      lastSignal = now;
      fetch(typingUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: "csrf=" + encodeURIComponent(csrf()),
      }).catch(function () {});
    });
  }
})();
