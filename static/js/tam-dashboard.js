/* The weekly trend chart of a TAM account dashboard (/tam/accounts/<id>/).
 *
 * Reads the figures the page embeds with json_script (#weekly-data) and the translated series
 * names from the canvas's data-label-* attributes, so this file holds no user-facing text and
 * the page needs no inline script (CSP-friendly). Without JavaScript the chart stays hidden and
 * the table of the same figures stays open. Once drawn, the canvas carries
 * data-chart-ready="true" and data-points="<bars + line points drawn>" for the browser test.
 */
(function () {
  "use strict";

  var BAR = "#6d9ef0";
  var LINE = "#0b6b4f";

  function draw() {
    var canvas = document.getElementById("weekly-chart");
    var source = document.getElementById("weekly-data");
    if (!canvas || !source || typeof window.Chart === "undefined") {
      return;
    }
    var weeks = JSON.parse(source.textContent);
    var box = canvas.parentElement;
    box.hidden = false; // shown before drawing: Chart.js sizes the canvas from its box

    var ready = {
      id: "portalReady",
      afterRender: function (chart) {
        if (canvas.dataset.chartReady === "true") {
          return;
        }
        var points = 0;
        for (var i = 0; i < chart.data.datasets.length; i++) {
          points += chart.getDatasetMeta(i).data.length;
        }
        canvas.dataset.points = String(points);
        canvas.dataset.chartReady = "true";
        // The chart now shows the figures; the table stays one click away.
        var table = document.querySelector("details.chart-table");
        if (table) {
          table.open = false;
        }
      },
    };

    new window.Chart(canvas, {
      data: {
        labels: weeks.map(function (w) { return w.tick; }),
        datasets: [
          {
            type: "bar",
            label: canvas.dataset.labelFiled,
            data: weeks.map(function (w) { return w.filed; }),
            backgroundColor: BAR,
            borderColor: BAR,
            yAxisID: "y",
            order: 2,
          },
          {
            type: "line",
            label: canvas.dataset.labelCompliance,
            // null (nothing responded that week) leaves a gap rather than a false 0 %.
            data: weeks.map(function (w) { return w.compliance; }),
            borderColor: LINE,
            backgroundColor: LINE,
            borderWidth: 2,
            pointRadius: 4,
            tension: 0,
            spanGaps: false,
            clip: false, // a week at 100 % keeps its whole point on the top edge
            yAxisID: "y1",
            order: 1,
          },
        ],
      },
      options: {
        locale: document.documentElement.lang || undefined,
        responsive: true,
        maintainAspectRatio: false,
        // Drawn at once: no animation to wait for, and nothing moving for people who mind.
        animation: false,
        interaction: { mode: "index", intersect: false },
        scales: {
          y: {
            type: "linear",
            position: "left",
            beginAtZero: true,
            grace: "10%",
            ticks: { precision: 0 },
            title: { display: true, text: canvas.dataset.labelFiled },
          },
          y1: {
            type: "linear",
            position: "right",
            min: 0,
            max: 100,
            grid: { drawOnChartArea: false },
            ticks: { callback: function (value) { return value + " %"; } },
            title: { display: true, text: canvas.dataset.labelCompliance },
          },
        },
        plugins: {
          legend: {
            position: "bottom",
            // In the order of the data (bars, then line), not the drawing order.
            labels: { sort: function (a, b) { return a.datasetIndex - b.datasetIndex; } },
          },
          tooltip: {
            callbacks: {
              label: function (item) {
                var unit = item.dataset.yAxisID === "y1" ? " %" : "";
                return item.dataset.label + ": " + item.formattedValue + unit;
              },
              afterBody: function (items) {
                var w = weeks[items[0].dataIndex];
                return canvas.dataset.labelResponded + ": " + w.responded;
              },
            },
          },
        },
      },
      plugins: [ready],
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
