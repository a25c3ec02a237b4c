// @mentions in the internal-note box: typing `@` and the start of a name
// offers the agents whose handle or name starts so (from
// /agents/mentions); Up and Down move, Enter or Tab (or a click) puts
// `@handle ` in place of what was typed, Escape closes the list. The
// mentioned agent is notified when the note is added, by the server, which
// reads mentions from the note's text: without this file, typing the
// handle by hand does the same.
(function () {
  "use strict";
  var box = document.querySelector("textarea[data-mentions]");
  if (!box) return;
  // `@` at the start or after a character no handle has, then the handle
  // typed so far, right before the cursor.
  var TYPED = /(^|[^\p{L}\p{N}._@-])@([\p{L}\p{N}._-]{0,64})$/u;
  var list = document.createElement("ul");
  list.id = "mention-list";
  list.className = "mention-list";
  list.setAttribute("role", "listbox");
  list.setAttribute("aria-label", "Agents to mention");
  list.hidden = true;
  box.parentNode.insertBefore(list, box.nextSibling);
  box.setAttribute("aria-autocomplete", "list");
  box.setAttribute("aria-controls", list.id);
  box.setAttribute("aria-expanded", "false");
  var options = [];
  var active = -1;
  var asked = 0;

  function typed() {
    if (box.selectionStart !== box.selectionEnd) return null;
    var m = TYPED.exec(box.value.slice(0, box.selectionStart));
    return m ? { prefix: m[2], start: box.selectionStart - m[2].length - 1 } : null;
  }

  function close() {
    list.hidden = true;
    list.textContent = "";
    options = [];
    active = -1;
    box.setAttribute("aria-expanded", "false");
    box.removeAttribute("aria-activedescendant");
  }

  function highlight(i) {
    active = i;
    Array.prototype.forEach.call(list.children, function (li, n) {
      li.setAttribute("aria-selected", n === i ? "true" : "false");
    });
    if (i >= 0) box.setAttribute("aria-activedescendant", list.children[i].id);
  }

  function pick(i) {
    var at = typed();
    var agent = options[i];
    if (!at || !agent) return close();
    box.setRangeText("@" + agent.handle + " ", at.start, box.selectionStart, "end");
    close();
    box.focus();
  }

  function offer(agents) {
    close();
    options = agents;
    if (!agents.length) return;
    agents.forEach(function (agent, i) {
      var li = document.createElement("li");
      li.id = "mention-" + i;
      li.setAttribute("role", "option");
      li.textContent = agent.name + " @" + agent.handle;
      li.addEventListener("mousedown", function (e) { e.preventDefault(); pick(i); });
      list.appendChild(li);
    });
    list.hidden = false;
    box.setAttribute("aria-expanded", "true");
    highlight(0);
  }

  box.addEventListener("input", function () {
    var at = typed();
    if (!at) return close();
    var ask = ++asked;
    fetch("/agents/mentions?q=" + encodeURIComponent(at.prefix), {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then(function (r) { return r.ok ? r.json() : []; })
      .then(function (agents) { if (ask === asked && typed()) offer(agents); })
      .catch(function () {});
  });

  box.addEventListener("keydown", function (e) {
    if (list.hidden) return;
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      var step = e.key === "ArrowDown" ? 1 : -1;
      highlight((active + step + options.length) % options.length);
    } else if (e.key === "Enter" || e.key === "Tab") {
      e.preventDefault();
      pick(active);
    } else if (e.key === "Escape") {
      e.preventDefault();
      e.stopPropagation();
      close();
    }
  });

  box.addEventListener("blur", close);
})();
