// The walk-in desk's eligibility step, enhanced: as gender, date of birth and education are chosen, the
// server checks them against every open cohort (the same rules as when the step is sent) and each
// cohort's note says at once whether it is open to this person. Without this script the step works the
// same when sent.
(function () {
  "use strict";
  var form = document.getElementById("eligibility-form");
  if (!form || !window.fetch) {
    return;
  }
  var fields = ["gender", "date_of_birth", "education"].map(function (name) { return form.elements[name]; });
  var summary = document.getElementById("eligibility-summary");
  var asked = 0;

  function check() {
    if (fields.some(function (field) { return !field || !field.value; })) {
      return;
    }
    var number = ++asked;
    fetch(form.dataset.eligibilityUrl, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: { "Accept": "application/json" }
    }).then(function (response) {
      return response.ok ? response.json() : null;
    }).then(function (answer) {
      if (!answer || number !== asked) {
        return;  // an answer not (yet) complete, or overtaken by a later one
      }
      answer.cohorts.forEach(function (cohort) {
        var note = form.ownerDocument.querySelector('[data-cohort-note="' + cohort.id + '"]');
        if (note) {
          note.textContent = cohort.note;
          note.classList.toggle("text-danger-emphasis", !cohort.eligible);
          note.classList.toggle("text-body-secondary", cohort.eligible);
        }
      });
      if (summary) {
        summary.textContent = answer.summary;
      }
    }).catch(function () { /* the step still checks when it is sent */ });
  }

  fields.forEach(function (field) {
    if (field) {
      field.addEventListener("change", check);
    }
  });
  check();
})();
