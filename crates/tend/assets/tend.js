// Keyboard shortcuts for the agent workspace. Everything also works without
// this file: it only moves focus and submits forms that are on the page.
(function () {
  "use strict";
  var help = document.getElementById("help");
  var selected = -1;

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("[data-list] tbody tr"));
  }

  function select(delta) {
    var all = rows();
    if (!all.length) return;
    if (selected >= 0 && all[selected]) all[selected].classList.remove("selected");
    selected = Math.max(0, Math.min(all.length - 1, selected + delta));
    all[selected].classList.add("selected");
    all[selected].scrollIntoView({ block: "nearest" });
  }

  function toggleHelp(show) {
    if (!help) return;
    help.hidden = !show;
    if (show) document.getElementById("help-close").focus();
  }

  function focus(id) {
    var el = document.getElementById(id);
    if (el) { el.focus(); return true; }
    return false;
  }

  // Remember the list of cases on this page, so `[` and `]` on a case
  // opened from it (casepage.js) can go to its neighbours.
  var list = document.querySelector("[data-list]");
  if (list) {
    var hrefs = Array.prototype.map.call(
      list.querySelectorAll("tbody a[href^='/cases/']"),
      function (a) { return a.getAttribute("href"); });
    try { sessionStorage.setItem("tend.list", JSON.stringify(hrefs)); } catch (err) { /* storage off */ }
  }

  var closer = document.getElementById("help-close");
  if (closer) closer.addEventListener("click", function () { toggleHelp(false); });

  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    var typing = /^(INPUT|TEXTAREA|SELECT)$/.test(e.target.tagName);
    if (e.key === "Escape") {
      toggleHelp(false);
      if (typing) e.target.blur();
      return;
    }
    if (typing) return;
    var handled = true;
    switch (e.key) {
      case "?": toggleHelp(help && help.hidden); break;
      case "j": select(1); break;
      case "k": select(-1); break;
      case "Enter": {
        var row = rows()[selected];
        var link = row && row.querySelector("a");
        if (link) link.click(); else handled = false;
        break;
      }
      case "/": if (!focus("q")) window.location.href = "/search"; break;
      case "r": handled = focus("reply"); break;
      case "n": handled = focus("note"); break;
      case "a": {
        var form = document.getElementById("assign-me");
        if (form) form.submit(); else handled = false;
        break;
      }
      default: handled = false;
    }
    if (handled) e.preventDefault();
  });
})();

// Exact times on hover in the agent's own time zone and locale: the page
// gives them in UTC; the agent's display settings (on <body>) or else the
// browser say where the agent is and how they write dates.
(function () {
  "use strict";
  var body = document.body;
  var zone = body.getAttribute("data-time-zone") || undefined;
  var locale = body.getAttribute("data-locale") || undefined;
  var format;
  try {
    format = new Intl.DateTimeFormat(locale, {
      dateStyle: "medium", timeStyle: "short", timeZone: zone
    });
  } catch (err) {
    format = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
  }
  var zoneName = format.resolvedOptions().timeZone;
  function exact(t) {
    var at = new Date(t.getAttribute("datetime"));
    if (!isNaN(at.getTime())) t.title = format.format(at) + " (" + zoneName + ")";
  }
  window.tendTimes = function (root) {
    Array.prototype.forEach.call(root.querySelectorAll("time[datetime]"), exact);
  };
  window.tendTimes(document);
  Array.prototype.forEach.call(document.querySelectorAll("[data-browser-zone]"), function (el) {
    el.textContent = new Intl.DateTimeFormat().resolvedOptions().timeZone;
  });
})();
