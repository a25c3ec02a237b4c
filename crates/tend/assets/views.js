// Live counts and lists. Every few seconds (while the tab is visible) the
// page asks /views/counts how many cases each working view holds and when
// any case last changed. The counts go beside the views in the navigation
// and, on a view's page, into the tab title ("(3) Unassigned"). On the first
// page of a list drawn before the latest change, the page fetches itself and
// swaps in the new list, marking rows that were not there before, unless
// the agent has cases ticked or is using the list (then it offers a reload).
// Each answer is also dispatched as a `tend:counts` event, which the bell
// (notifications.js) reads its unread count from.
// Without this file every page still works; it only does not update itself.
(function () {
  "use strict";
  var EVERY_MS = 10000;
  var list = document.getElementById("list");
  var status = document.getElementById("list-status");
  var title = document.title;
  var busy = false;

  function grouped(n) { return n.toLocaleString("en-GB"); }

  function shown(n, cap) { return n > cap ? grouped(cap) + "+" : grouped(n); }

  function showCounts(body) {
    Object.keys(body.views).forEach(function (view) {
      var el = document.querySelector("[data-count-for='" + view + "']");
      if (!el) return;
      var n = body.views[view];
      el.textContent = shown(n, body.cap);
      el.hidden = n === 0;
    });
    var here = list && list.getAttribute("data-count-view");
    if (here && body.views[here] !== undefined) {
      var n = body.views[here];
      document.title = n > 0 ? "(" + shown(n, body.cap) + ") " + title : title;
    }
  }

  function ids(root) {
    return Array.prototype.map.call(root.querySelectorAll("tr[data-case]"), function (tr) {
      return tr.getAttribute("data-case");
    });
  }

  function inUse() {
    return document.querySelector("input[name=case]:checked") ||
      (document.activeElement && list.contains(document.activeElement) &&
       document.activeElement !== document.body);
  }

  function redraw(changed) {
    if (inUse()) {
      if (status) {
        status.innerHTML = "";
        var a = document.createElement("a");
        a.href = window.location.href;
        a.textContent = "Cases have changed: reload the list";
        status.appendChild(a);
      }
      return;
    }
    fetch(window.location.href, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (!html || inUse()) return;
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("list");
        if (!fresh) return;
        var before = ids(list);
        var next = document.importNode(fresh, true);
        var added = 0;
        Array.prototype.forEach.call(next.querySelectorAll("tr[data-case]"), function (tr) {
          if (before.indexOf(tr.getAttribute("data-case")) < 0) {
            tr.classList.add("new-row");
            added += 1;
          }
        });
        list.replaceWith(next);
        list = next;
        if (window.tendTimes) window.tendTimes(list);
        if (status) {
          status.textContent = added === 0 ? "List updated." :
            added + (added === 1 ? " new case in the list." : " new cases in the list.");
        }
      })
      .catch(function () {})
      .then(function () { list.setAttribute("data-live-list", String(changed)); });
  }

  function poll() {
    if (busy || document.hidden) return;
    busy = true;
    fetch("/views/counts", { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (body) {
        if (!body || !body.views) return;
        showCounts(body);
        document.dispatchEvent(new CustomEvent("tend:counts", { detail: body }));
        var drawn = list && list.getAttribute("data-live-list");
        if (drawn && body.changed > Number(drawn)) redraw(body.changed);
      })
      .catch(function () {})
      .then(function () { busy = false; });
  }

  poll();
  window.setInterval(poll, EVERY_MS);
  document.addEventListener("visibilitychange", poll);
})();
