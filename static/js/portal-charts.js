/* Charts of the transparency page. The figures come from a JSON script element
   (json_script, not executable), so the Content Security Policy allows no inline
   script. Every chart also has a table next to it. */
(function () {
  "use strict";
  var source = document.getElementById("portal-chart-data");
  if (!source || typeof window.Chart === "undefined") {
    return;
  }
  var data = JSON.parse(source.textContent);
  // KERN-like colours with enough contrast against white.
  var colours = ["#1a3da5", "#b34700", "#5a6072", "#0f7b3f", "#8a1c7c"];
  var reduceMotion = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;

  document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    var chart = data[canvas.dataset.chart];
    if (!chart) {
      return;
    }
    var type = canvas.dataset.type || "bar";
    var stacked = canvas.dataset.stacked === "true";
    var horizontal = canvas.dataset.horizontal === "true";
    var datasets = chart.series.map(function (series, index) {
      return {
        label: series.label,
        data: series.data,
        backgroundColor: colours[index % colours.length],
        borderColor: colours[index % colours.length],
        borderWidth: type === "line" ? 2 : 0,
        fill: false,
        tension: 0.2
      };
    });
    new window.Chart(canvas, {
      type: type,
      data: { labels: chart.labels, datasets: datasets },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: reduceMotion ? false : { duration: 400 },
        indexAxis: horizontal ? "y" : "x",
        plugins: { legend: { display: chart.series.length > 1, position: "bottom" } },
        scales: {
          x: { stacked: stacked, beginAtZero: true, ticks: { precision: 0 } },
          y: { stacked: stacked, beginAtZero: true, ticks: { precision: 0 } }
        }
      }
    });
  });
})();
