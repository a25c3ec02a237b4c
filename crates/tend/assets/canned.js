// Canned replies on the case page: choosing one inserts its text, already
// filled in for this case by the server, at the cursor in the reply box.
// Without this file the picker's Insert button reloads the page with the
// reply box pre-filled instead.
(function () {
  "use strict";
  var form = document.getElementById("canned-picker");
  var reply = document.getElementById("reply");
  if (!form || !reply) return;
  var select = form.querySelector("select");
  form.classList.add("canned-js");

  function insert() {
    var option = select.options[select.selectedIndex];
    if (!option || !option.value) return;
    var text = option.getAttribute("data-text") || "";
    reply.setRangeText(text, reply.selectionStart, reply.selectionEnd, "end");
    select.selectedIndex = 0;
    reply.focus();
  }

  select.addEventListener("change", insert);
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    insert();
  });
})();
