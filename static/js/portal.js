// Behaviour shared by every page, kept out of the HTML: the Content-Security-Policy allows no
// inline script or event handler.
(function () {
  "use strict";
  function ready() {
    // A <select data-submit-on-change> submits its form when changed (the language switch).
    document.querySelectorAll("select[data-submit-on-change]").forEach(function (select) {
      select.addEventListener("change", function () { select.form.submit(); });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", ready);
  } else {
    ready();
  }
})();
