// Times on customer pages in the customer's own time zone and language.
// The page writes every time in UTC with the zone named, inside
// <time datetime="…">; this rewrites the text in the browser's zone and
// locale and keeps the exact time, zone included, in the title. A due
// time (data-due) reads "15:30 today" / "09:00 tomorrow" as the page does.
// Without this file the UTC times stay, which is still right.
(function () {
  "use strict";
  var exact = { dateStyle: "medium", timeStyle: "short" };
  var full = { year: "numeric", month: "long", day: "numeric", weekday: "long",
               hour: "2-digit", minute: "2-digit", timeZoneName: "short" };
  var clock = { hour: "2-digit", minute: "2-digit" };
  var other = { weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" };

  function dayKey(d) {
    return d.getFullYear() * 10000 + (d.getMonth() + 1) * 100 + d.getDate();
  }

  function dueText(at) {
    var now = new Date();
    var tomorrow = new Date(now.getFullYear(), now.getMonth(), now.getDate() + 1);
    if (dayKey(at) === dayKey(now)) return at.toLocaleTimeString(undefined, clock) + " today";
    if (dayKey(at) === dayKey(tomorrow)) return at.toLocaleTimeString(undefined, clock) + " tomorrow";
    return at.toLocaleString(undefined, other);
  }

  Array.prototype.forEach.call(document.querySelectorAll("time[datetime]"), function (t) {
    var at = new Date(t.getAttribute("datetime"));
    if (isNaN(at.getTime())) return;
    try {
      t.textContent = t.hasAttribute("data-due") ? dueText(at) : at.toLocaleString(undefined, exact);
      t.title = at.toLocaleString(undefined, full);
      t.setAttribute("data-local", "");
    } catch (e) { /* an old browser: the UTC text stays */ }
  });
})();
