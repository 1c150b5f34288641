// The filter box of a checklist (templates/_forms.html, macro checklist): shown only when this script runs, it
// hides the options (and groups) whose label does not contain what is typed. Ticked options stay whatever is typed.
(function () {
  "use strict";
  function normalise(text) {
    return text.toLocaleLowerCase().replace(/\s+/g, " ").trim();
  }
  document.querySelectorAll(".checklist").forEach(function (list) {
    var box = list.querySelector("[data-checklist-filter]");
    var input = box && box.querySelector("input");
    if (!input) {
      return;
    }
    box.hidden = false;
    input.addEventListener("input", function () {
      var wanted = normalise(input.value);
      list.querySelectorAll("[data-checklist-group]").forEach(function (group) {
        var group_name = normalise((group.querySelector("p") || {}).textContent || "");
        var shown = 0;
        group.querySelectorAll("[data-checklist-option]").forEach(function (option) {
          var label = normalise(option.textContent);
          var ticked = option.querySelector("input").checked;
          var match = !wanted || ticked || label.indexOf(wanted) !== -1 || group_name.indexOf(wanted) !== -1;
          option.hidden = !match;
          shown += match ? 1 : 0;
        });
        group.hidden = shown === 0;
      });
    });
  });
})();
