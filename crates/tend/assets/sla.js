// SLA badges count down: every badge carrying a due time (data-sla-due)
// has its words redrawn from the clock, "due in 25 min" turning into
// "breached 3 min ago" when the time passes. Close to a due time the
// seconds show and the badges are redrawn every second; otherwise every
// half minute. Lists redrawn by views.js bring new badges, picked up on
// the next tick. The time counted from is the server's: a badge also
// carries the server's time when it was drawn (data-sla-now), and the
// difference from this browser's clock, taken from the first badge seen,
// is added to Date.now(), so a browser whose clock is off (or a server
// whose clock was moved) still counts to the same moment the page shows.
(function () {
  "use strict";
  var SECONDS_SHOWN_WITHIN = 300;
  var SOON_WITHIN = 3600;
  var offset = null;

  function span(seconds) {
    seconds = Math.abs(seconds);
    if (seconds < SECONDS_SHOWN_WITHIN) {
      return Math.floor(seconds / 60) + " min " + (seconds % 60) + " s";
    }
    var minutes = Math.floor(seconds / 60);
    var days = Math.floor(minutes / 1440);
    var hours = Math.floor(minutes / 60) % 24;
    if (days > 0) return days + " d " + hours + " h";
    if (hours > 0) return hours + " h " + (minutes % 60) + " min";
    return minutes + " min";
  }

  function serverOffset() {
    if (offset !== null) return offset;
    var drawn = document.querySelector("[data-sla-now]");
    if (!drawn) return 0;
    var served = Date.parse(drawn.getAttribute("data-sla-now"));
    if (isNaN(served)) return 0;
    offset = Math.round((served - Date.now()) / 1000);
    return offset;
  }

  function redraw() {
    var now = Math.floor(Date.now() / 1000) + serverOffset();
    var closest = Infinity;
    document.querySelectorAll("[data-sla-due]").forEach(function (badge) {
      var due = Math.floor(Date.parse(badge.getAttribute("data-sla-due")) / 1000);
      if (isNaN(due)) return;
      var left = due - now;
      closest = Math.min(closest, Math.abs(left));
      var state = left <= 0 ? "breached" : left <= SOON_WITHIN ? "soon" : "due";
      var text = left <= 0 ? "breached " + span(left) + " ago" : "due in " + span(left);
      if (badge.textContent !== text) badge.textContent = text;
      ["due", "soon", "breached"].forEach(function (s) {
        badge.classList.toggle("sla-" + s, s === state);
      });
    });
    setTimeout(redraw, closest <= SECONDS_SHOWN_WITHIN + 1 ? 1000 : 30000);
  }

  redraw();
})();
