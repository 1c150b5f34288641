// The register's tally: how many are marked present, late and absent, updated at each tap, next to Save
// (the marks themselves are radio buttons, which work without this script).
(function () {
  "use strict";
  var form = document.querySelector("[data-register]");
  var tally = document.querySelector("[data-register-tally]");
  var script = document.currentScript;
  if (!form || !tally || !script) {
    return;
  }
  var words = { present: script.dataset.present, late: script.dataset.late, absent: script.dataset.absent };
  function count() {
    var counts = { present: 0, late: 0, absent: 0 };
    form.querySelectorAll("input.btn-check:checked").forEach(function (input) {
      counts[input.value] += 1;
    });
    tally.textContent = counts.present + " " + words.present + " · " + counts.late + " " + words.late + " · " +
      counts.absent + " " + words.absent;
  }
  form.addEventListener("change", count);
  count();
})();
