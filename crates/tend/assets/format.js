// The reply box's formatting toolbar: each button wraps the selected text
// in Markdown (bold, italic, a list, a link) and ticks "Formatted", so the
// reply goes out as HTML with a faithful text part. Without this file the
// toolbar stays hidden and replies are plain text.
(function () {
  "use strict";
  var bar = document.getElementById("format-toolbar");
  var reply = document.getElementById("reply");
  var formatted = document.getElementById("reply-formatted");
  if (!bar || !reply || !formatted) return;
  bar.hidden = false;

  function lines(text) {
    return (text || "item").split("\n").map(function (line) {
      return "- " + line;
    }).join("\n");
  }

  var wrap = {
    bold: function (text) { return ["**" + (text || "bold") + "**", 2, 2]; },
    italic: function (text) { return ["*" + (text || "italic") + "*", 1, 1]; },
    list: function (text) { return [lines(text), 0, 0]; },
    link: function (text) {
      var label = text || "link";
      return ["[" + label + "](https://)", label.length + 3, 1];
    },
  };

  bar.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-format]");
    if (!button) return;
    var start = reply.selectionStart, end = reply.selectionEnd;
    var made = wrap[button.getAttribute("data-format")](reply.value.slice(start, end));
    reply.setRangeText(made[0], start, end, "end");
    // Leave the cursor where the agent types next: inside the marks.
    reply.setSelectionRange(start + made[1], start + made[0].length - made[2]);
    formatted.checked = true;
    reply.focus();
  });
})();
