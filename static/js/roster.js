// The roster's bulk choice, enhanced: a box in the heading chooses (or clears) everyone on the page at
// once. Without this script the same is a link ("Choose everyone on this page") that reloads the page
// with every box ticked.
(function () {
  "use strict";
  var all = document.querySelector("[data-choose-all]");
  if (!all) {
    return;
  }
  var boxes = Array.prototype.slice.call(document.querySelectorAll("[data-chosen]"));
  var link = document.querySelector("[data-choose-all-link]");
  function reflect() {
    var chosen = boxes.filter(function (box) { return box.checked; }).length;
    all.checked = chosen === boxes.length;
    all.indeterminate = chosen > 0 && chosen < boxes.length;
  }
  all.hidden = false;
  if (link) {
    link.hidden = true;
  }
  all.addEventListener("change", function () {
    boxes.forEach(function (box) { box.checked = all.checked; });
    reflect();
  });
  boxes.forEach(function (box) { box.addEventListener("change", reflect); });
  reflect();
})();
