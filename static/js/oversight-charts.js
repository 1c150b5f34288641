// The capacity audit's charts, drawn with the vendored Chart.js from the page's JSON block
// (#oversight-chart-data); no inline script: the site's CSP. Each chart's numbers are also in a table on the page.
window.addEventListener("DOMContentLoaded", function () {
  "use strict";
  var holder = document.getElementById("oversight-chart-data");
  if (!holder || !window.Chart) {
    return;
  }
  var data = JSON.parse(holder.textContent);
  var reduceMotion = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  var green = "#0b6e4f";
  var amber = "#b45309";
  var red = "#b91c1c";
  var grey = "#6b7280";

  function percentAxis() {
    return { beginAtZero: true, suggestedMax: 100, ticks: { callback: function (value) { return value + "%"; } } };
  }

  function options(extra) {
    var base = {
      responsive: true,
      maintainAspectRatio: false,
      animation: reduceMotion ? false : { duration: 400 },
      plugins: { legend: { display: false } },
    };
    return Object.assign(base, extra || {});
  }

  var builders = {
    utilisation: function (chart) {
      return {
        type: "bar",
        data: {
          labels: chart.labels,
          datasets: [{ label: chart.label, data: chart.values, backgroundColor: green }],
        },
        options: options({ scales: { y: percentAxis() } }),
      };
    },
    women: function (chart) {
      return {
        type: "line",
        data: {
          labels: chart.labels,
          datasets: [
            { label: chart.label, data: chart.values, borderColor: green, backgroundColor: green, spanGaps: true },
            {
              label: chart.targetLabel,
              data: chart.labels.map(function () { return chart.target; }),
              borderColor: amber,
              borderDash: [6, 4],
              pointRadius: 0,
            },
          ],
        },
        options: options({ scales: { y: percentAxis() }, plugins: { legend: { display: true } } }),
      };
    },
    funnel: function (chart) {
      return {
        type: "bar",
        data: {
          labels: chart.labels,
          datasets: [{ label: chart.label, data: chart.values, backgroundColor: green }],
        },
        options: options({ scales: { y: { beginAtZero: true } } }),
      };
    },
    offers: function (chart) {
      var colours = [green, amber, red, grey];
      return {
        type: "bar",
        data: {
          labels: chart.labels,
          datasets: chart.series.map(function (series, index) {
            return { label: series.label, data: series.values, backgroundColor: colours[index] };
          }),
        },
        options: options({
          scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } },
          plugins: { legend: { display: true } },
        }),
      };
    },
    // The outcomes report: earners' monthly earnings by track, the quartiles as a floating bar and the median
    // as a point (a suppressed group is null: no bar).
    earnings: function (chart) {
      return {
        type: "bar",
        data: {
          labels: chart.labels,
          datasets: [
            { type: "bar", label: chart.rangeLabel, data: chart.range, backgroundColor: "rgba(11, 110, 79, 0.35)" },
            { type: "line", label: chart.medianLabel, data: chart.median, borderColor: amber, backgroundColor: amber,
              showLine: false, pointRadius: 6 },
          ],
        },
        options: options({ scales: { y: { beginAtZero: true } }, plugins: { legend: { display: true } } }),
      };
    },
    trend: function (chart) {
      return {
        type: "line",
        data: {
          labels: chart.labels,
          datasets: [
            { label: chart.medianLabel, data: chart.median, borderColor: green, backgroundColor: green, yAxisID: "y",
              spanGaps: true },
            { label: chart.earningLabel, data: chart.earning, borderColor: amber, backgroundColor: amber,
              yAxisID: "share", spanGaps: true },
          ],
        },
        options: options({
          scales: { y: { beginAtZero: true, position: "left" }, share: Object.assign(percentAxis(), { position: "right" }) },
          plugins: { legend: { display: true } },
        }),
      };
    },
  };

  // The completion page's charts have the same shapes: attendance by group as utilisation is drawn, how
  // finished places ended as a stacked bar like the offers.
  builders.attendance = builders.utilisation;
  builders.outcomes = builders.offers;

  document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    var name = canvas.dataset.chart;
    if (data[name] && builders[name]) {
      new window.Chart(canvas, builders[name](data[name]));
    }
  });
});
