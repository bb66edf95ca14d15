/* Charts of the tables (templates/datastore/includes/chart_figure.html). The figures
   come from a JSON script element (json_script, not executable): the Content Security
   Policy allows no inline script. Each chart has its figures as a table below it; the
   table is open until the drawing is there, so without JavaScript (or Chart.js) it is
   what people see, and the drawing's frame stays hidden. */
(function () {
  "use strict";
  if (typeof window.Chart === "undefined") {
    return;
  }
  // Each colour has at least 5:1 contrast against white (WCAG 1.4.11 asks 3:1); pie
  // pieces are separated by white borders, so every piece borders white.
  var colours = ["#1a3da5", "#b34700", "#0f7b3f", "#8a1c7c", "#5a6072", "#a4153a", "#00687a", "#6e5a00"];
  var text = "#1f2937";
  var grid = "#d0d4db";
  var reduceMotion = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  var numbers = new Intl.NumberFormat("de-DE", { maximumFractionDigits: 2 });
  // The page's font and a readable size, not Chart.js' 12 px Helvetica.
  window.Chart.defaults.font.family = window.getComputedStyle(document.body).fontFamily;
  window.Chart.defaults.font.size = 14;

  function options(chart) {
    var pie = chart.kind === "pie";
    var base = {
      responsive: true,
      maintainAspectRatio: false,
      locale: "de-DE",
      animation: reduceMotion ? false : { duration: 300 },
      color: text,
      plugins: {
        legend: { display: pie, position: "bottom", labels: { color: text } },
        tooltip: {
          callbacks: {
            label: function (item) {
              return chart.measure + ": " + numbers.format(item.raw);
            }
          }
        }
      }
    };
    if (!pie) {
      base.scales = {
        x: {
          title: { display: true, text: chart.category, color: text },
          ticks: { color: text, autoSkip: true, maxRotation: 60 },
          grid: { display: false }
        },
        y: {
          beginAtZero: true,
          title: { display: true, text: chart.measure, color: text },
          ticks: { color: text, callback: function (value) { return numbers.format(value); } },
          grid: { color: grid }
        }
      };
    }
    return base;
  }

  function dataset(chart) {
    if (chart.kind === "pie") {
      return {
        label: chart.measure,
        data: chart.values,
        backgroundColor: chart.values.map(function (_value, index) { return colours[index % colours.length]; }),
        borderColor: "#ffffff",
        borderWidth: 2
      };
    }
    return {
      label: chart.measure,
      data: chart.values,
      backgroundColor: colours[0],
      borderColor: colours[0],
      borderWidth: chart.kind === "line" ? 2 : 0,
      pointRadius: chart.kind === "line" ? 3 : undefined,
      fill: false,
      tension: 0
    };
  }

  document.querySelectorAll("canvas[data-datastore-chart]").forEach(function (canvas) {
    var source = document.getElementById(canvas.dataset.datastoreChart);
    if (!source) {
      return;
    }
    var chart = JSON.parse(source.textContent);
    var frame = canvas.closest("[data-datastore-chart-frame]");
    if (frame) {
      frame.hidden = false; // Chart.js measures the frame: show it before drawing
    }
    new window.Chart(canvas, {
      type: chart.kind,
      data: { labels: chart.labels, datasets: [dataset(chart)] },
      options: options(chart)
    });
    // The drawing is there: the table becomes the alternative one opens.
    var figure = frame ? frame.parentElement : null;
    var table = figure ? figure.querySelector("details[data-datastore-chart-table]") : null;
    if (table) {
      table.open = false;
    }
  });
})();
