// The district list of a place filter (the place_filters macro) narrowed to the province chosen, as it changes;
// a district chosen first picks its province. Without this script the list holds every district, by province,
// and the form still works in one submit.
document.querySelectorAll("select[data-districts-of]").forEach(function (districtSelect) {
  var provinceSelect = document.getElementById(districtSelect.dataset.districtsOf);
  if (!provinceSelect) return;
  var groups = Array.prototype.slice.call(districtSelect.querySelectorAll("optgroup[data-province]"));

  function narrow() {
    var province = provinceSelect.value;
    var chosen = districtSelect.value;
    groups.forEach(function (group) {
      var wanted = !province || group.dataset.province === province;
      if (wanted && !group.parentNode) districtSelect.appendChild(group);
      if (!wanted && group.parentNode) group.remove();
    });
    // Keep the province order when groups come back.
    groups.forEach(function (group) { if (group.parentNode) districtSelect.appendChild(group); });
    if (chosen && !districtSelect.querySelector("option[value='" + chosen + "']")) districtSelect.value = "";
  }

  provinceSelect.addEventListener("change", narrow);
  districtSelect.addEventListener("change", function () {
    var option = districtSelect.selectedOptions[0];
    var group = option && option.parentNode;
    if (group && group.dataset && group.dataset.province && provinceSelect.value !== group.dataset.province) {
      provinceSelect.value = group.dataset.province;
      narrow();
    }
  });
  narrow();
});
