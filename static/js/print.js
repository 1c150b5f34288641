// A "Print" button where the page has one ([data-print]): shown only with this script, which it needs.
(function () {
  "use strict";
  var button = document.querySelector("[data-print]");
  if (!button) {
    return;
  }
  button.hidden = false;
  button.addEventListener("click", function () { window.print(); });
})();
