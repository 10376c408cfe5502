// Behaviour shared by every page, kept out of the HTML: the Content-Security-Policy allows no
// inline script or event handler.
(function () {
  "use strict";
  function ready() {
    // A <select data-submit-on-change> submits its form when changed (the language switch).
    document.querySelectorAll("select[data-submit-on-change]").forEach(function (select) {
      select.addEventListener("change", function () { select.form.submit(); });
    });
    // A form that came back with errors: bring its error summary into view and focus it, so
    // the errors are read out and not left below the fold of a long page.
    var errors = document.querySelector(".error-box[role=alert]");
    if (errors) {
      // After the page has loaded and scrolled to its fragment, which would move it again.
      var show = function () {
        errors.scrollIntoView({ block: "center" });
        errors.focus({ preventScroll: true });
      };
      if (document.readyState === "complete") { show(); }
      else { window.addEventListener("load", function () { setTimeout(show, 0); }); }
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", ready);
  } else {
    ready();
  }
})();
