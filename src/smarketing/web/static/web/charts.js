// Draws every chart of the page: each `.chart[data-figure]` element names the
// <script type="application/json"> holding its Plotly figure (written by web/_chart.html).
// A chart that fails to draw logs an error and shows a message; the others still draw.
(function () {
  "use strict";
  var svgIcon = {width: 500, height: 500, path: "M50 50h400v400H50z M100 300l100-100 100 100 100-150"};
  var pngIcon = {width: 500, height: 500, path: "M60 120h90l30-50h140l30 50h90v300H60z M250 180a90 90 0 1 0 0.1 0z"};

  function download(gd, format) {
    // The card heading is the title on the page; the downloaded image carries it too.
    var layout = Object.assign({}, gd.layout, {title: {text: gd.dataset.title, x: 0.02}});
    layout.margin = Object.assign({}, gd.layout.margin, {t: 48});
    Plotly.downloadImage({data: gd.data, layout: layout},
      {format: format, filename: gd.dataset.filename, width: gd.offsetWidth || 900, height: gd.offsetHeight || 400});
  }

  function draw(div) {
    var source = document.getElementById(div.dataset.figure);
    var figure = JSON.parse(source.textContent);
    if (typeof figure !== "object" || figure === null || !Array.isArray(figure.data)) {
      throw new Error("chart " + div.id + ": the figure is not a Plotly figure object");
    }
    return Plotly.newPlot(div, figure.data, figure.layout || {}, {
      responsive: true,
      displaylogo: false,
      modeBarButtonsToRemove: ["toImage", "select2d", "lasso2d"],
      modeBarButtonsToAdd: [
        {name: "Download PNG", icon: pngIcon, click: function (gd) { download(gd, "png"); }},
        {name: "Download SVG", icon: svgIcon, click: function (gd) { download(gd, "svg"); }}
      ]
    });
  }

  // Draws the charts not drawn yet (all of them on load; the new ones after a page part is
  // swapped in place, e.g. the attribution results: call window.smarketingCharts.drawAll()).
  function drawAll() {
    document.querySelectorAll(".chart[data-figure]:not(.js-plotly-plot)").forEach(function (div) {
      try {
        draw(div);
      } catch (err) {
        console.error(err);
        div.textContent = "This chart could not be drawn.";
        div.classList.add("muted");
      }
    });
  }

  if (typeof Plotly === "undefined") {
    console.error("Plotly did not load: charts cannot be drawn");
    return;
  }
  window.smarketingCharts = {drawAll: drawAll};
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
