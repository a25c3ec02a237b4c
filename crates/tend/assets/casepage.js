// Case page shortcuts: `e` resolves the case by submitting the page's
// Resolve form, whose button does the same without this file.
(function () {
  "use strict";
  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey || e.key !== "e") return;
    if (/^(INPUT|TEXTAREA|SELECT)$/.test(e.target.tagName) || e.target.isContentEditable) return;
    var help = document.getElementById("help");
    if (help && !help.hidden) return;
    var form = document.getElementById("resolve");
    if (!form) return;
    e.preventDefault();
    form.submit();
  });
})();
