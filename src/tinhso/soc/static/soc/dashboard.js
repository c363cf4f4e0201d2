// The SOC dashboard's chart: alerts per day, stacked by severity (ECharts).
//
// No inline scripts: the data comes from the json_script element named in data-source.
// The chart container reports data-ready="1" once drawn, which the browser tests read.
"use strict";

(function () {
  const COLOURS = {
    critical: "#a00000",
    high: "#e0662a",
    medium: "#e0b400",
    low: "#5a9e5a",
    informational: "#8aa1b4",
  };

  function draw() {
    const element = document.getElementById("soc-chart");
    if (!element || typeof echarts === "undefined") return;
    const source = document.getElementById(element.dataset.source);
    if (!source) return;
    const data = JSON.parse(source.textContent);
    const chart = echarts.init(element, null, { renderer: "canvas" });
    chart.setOption({
      animation: false,
      grid: { left: 48, right: 16, top: 32, bottom: 32 },
      // Rich text draws the tooltip on the canvas: HTML tooltips carry inline styles that the CSP blocks.
      tooltip: { trigger: "axis", renderMode: "richText" },
      legend: { top: 0 },
      xAxis: { type: "category", data: data.days },
      yAxis: { type: "value", minInterval: 1 },
      series: data.series.map((series) => ({
        type: "bar",
        stack: "alerts",
        name: series.name,
        data: series.data,
        itemStyle: { color: COLOURS[series.severity] },
      })),
    });
    element.dataset.ready = "1";
    window.addEventListener("resize", () => chart.resize());
  }

  document.addEventListener("DOMContentLoaded", draw);
})();
