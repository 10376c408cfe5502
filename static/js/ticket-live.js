// The ticket page: tells the server, every few seconds while a staff member types a reply,
// that they are writing (other staff see "… is writing a reply"); the timeline itself is
// refreshed by htmx polling (templates/tickets/_live.html).
(function () {
  "use strict";
  var REPORT_EVERY_MS = 8000;
  function ready() {
    var form = document.querySelector("form.reply-form[data-writing-url]");
    if (!form) { return; }
    var body = form.querySelector("textarea");
    var token = form.querySelector("input[name=csrfmiddlewaretoken]");
    if (!body || !token) { return; }
    var last = 0;
    function report(done) {
      var data = new FormData();
      if (done) { data.append("done", "1"); }
      fetch(form.getAttribute("data-writing-url"), {
        method: "POST", body: data, credentials: "same-origin",
        headers: { "X-CSRFToken": token.value }
      }).catch(function () { /* a missed report only hides the notice sooner */ });
    }
    body.addEventListener("input", function () {
      var now = Date.now();
      if (body.value.trim() === "") {
        if (last) { last = 0; report(true); }
        return;
      }
      if (now - last > REPORT_EVERY_MS) { last = now; report(false); }
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", ready);
  } else {
    ready();
  }
})();
