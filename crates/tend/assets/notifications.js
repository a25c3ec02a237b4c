// The bell in the header. Its unread count comes with the view counts that
// views.js asks for every few seconds while the tab is in front (a
// `tend:counts` event); while the tab is in the background this file asks
// /notifications/unread itself, at the same pace. When new notifications
// arrive while the tab is in the background and the agent allowed it, each
// is shown as a desktop notification (once, whichever tabs are open).
// Clicking the bell opens the latest notifications under it; "Mark read"
// there works in place. Buttons marked `data-ask-desktop` ask the browser's
// permission for desktop notifications. Without this file the bell is a
// link to the notifications page.
(function () {
  "use strict";
  var bell = document.getElementById("bell");
  var count = document.getElementById("bell-count");
  var panel = document.getElementById("notification-panel");
  if (!bell || !count) return;
  var EVERY_MS = 10000;
  // The newest notification a desktop notification was shown for, shared
  // by every tab of this browser.
  var SHOWN_KEY = "tend.notified";
  var newestSeen = null;

  function remembered() {
    try { return Number(window.localStorage.getItem(SHOWN_KEY) || 0); } catch (e) { return 0; }
  }

  function remember(id) {
    try { window.localStorage.setItem(SHOWN_KEY, String(id)); } catch (e) { /* private mode */ }
  }

  function canShowDesktop() {
    return "Notification" in window && window.Notification.permission === "granted";
  }

  function desktop(fresh) {
    if (!canShowDesktop()) return;
    var last = remembered();
    fresh.forEach(function (n) {
      if (n.id <= last) return;
      var note = new window.Notification("Tend", { body: n.text, tag: "tend-notification-" + n.id });
      note.onclick = function () {
        window.focus();
        window.location.href = "/notifications/" + n.id;
        note.close();
      };
    });
    if (fresh.length) remember(Math.max(last, fresh[0].id));
  }

  function show(unread) {
    if (!unread || typeof unread.count !== "number") return;
    count.textContent = unread.count > unread.cap ? unread.cap + "+" : String(unread.count);
    count.hidden = unread.count === 0;
    bell.setAttribute("data-unread", String(unread.count));
    var newest = unread.newest || [];
    var top = newest.length ? newest[0].id : 0;
    if (newestSeen === null) {
      // The first answer after the page loads: nothing in it is news.
      newestSeen = top;
      return;
    }
    if (top <= newestSeen) return;
    var fresh = newest.filter(function (n) { return n.id > newestSeen; });
    newestSeen = top;
    if (document.hidden) desktop(fresh);
    if (panel && !panel.hidden) load();
  }

  function poll() {
    fetch("/notifications/unread", { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(show)
      .catch(function () {});
  }

  document.addEventListener("tend:counts", function (e) { show(e.detail && e.detail.notifications); });
  poll();
  window.setInterval(function () { if (document.hidden) poll(); }, EVERY_MS);

  // The panel under the bell: the notifications page's list, drawn here.
  function load() {
    fetch("/notifications", { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (!html) return;
        var page = new DOMParser().parseFromString(html, "text/html");
        var list = page.getElementById("notification-list");
        var all = page.querySelector("form[action='/notifications/read']");
        panel.textContent = "";
        var heading = document.createElement("h2");
        heading.textContent = "Notifications";
        panel.appendChild(heading);
        if (list) {
          panel.appendChild(document.importNode(list, true));
        } else {
          var none = document.createElement("p");
          none.className = "empty";
          none.textContent = "No notifications yet.";
          panel.appendChild(none);
        }
        var foot = document.createElement("p");
        foot.className = "panel-foot";
        if (all) foot.appendChild(document.importNode(all, true));
        var more = document.createElement("a");
        more.href = "/notifications";
        more.textContent = "All notifications";
        foot.appendChild(more);
        panel.appendChild(foot);
        if (window.tendTimes) window.tendTimes(panel);
      })
      .catch(function () {});
  }

  function close() {
    if (!panel || panel.hidden) return;
    panel.hidden = true;
    bell.setAttribute("aria-expanded", "false");
  }

  if (panel) {
    bell.setAttribute("aria-expanded", "false");
    bell.setAttribute("aria-controls", panel.id);
    bell.addEventListener("click", function (e) {
      if (e.button !== 0 || e.ctrlKey || e.metaKey || e.shiftKey || e.altKey) return;
      e.preventDefault();
      if (!panel.hidden) { close(); return; }
      panel.hidden = false;
      bell.setAttribute("aria-expanded", "true");
      load();
    });
    // Marking read in the panel stays in the panel.
    panel.addEventListener("submit", function (e) {
      var form = e.target;
      if (!form.hasAttribute("data-notification-form")) return;
      e.preventDefault();
      fetch(form.action, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams(new FormData(form)).toString(),
      }).catch(function () {}).then(function () { load(); poll(); });
    });
    document.addEventListener("keydown", function (e) {
      if (e.key === "Escape" && !panel.hidden) { close(); bell.focus(); }
    });
    document.addEventListener("click", function (e) {
      if (!panel.contains(e.target) && !bell.contains(e.target)) close();
    });
  }

  // Asking for desktop notifications: offered while the browser has not
  // been asked yet.
  Array.prototype.forEach.call(document.querySelectorAll("[data-ask-desktop]"), function (button) {
    if (!("Notification" in window) || window.Notification.permission !== "default") return;
    button.hidden = false;
    button.addEventListener("click", function () {
      window.Notification.requestPermission().then(function (answer) {
        button.hidden = true;
        var said = document.createElement("span");
        said.className = "hint";
        said.setAttribute("role", "status");
        said.textContent = answer === "granted" ?
          "Desktop notifications are on for this browser." :
          "Desktop notifications stay off; your browser's site settings can change that.";
        button.parentNode.insertBefore(said, button.nextSibling);
      });
    });
  });
})();
