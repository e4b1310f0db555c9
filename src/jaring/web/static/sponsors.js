// Bar charts of funded persons per group, one series per scenario (the simulator page).
(function () {
  "use strict";
  var source = document.getElementById("scenario-data");
  if (!source || typeof echarts === "undefined") return;
  var data = JSON.parse(source.textContent);
  var locale = data.lang === "en" ? "en-US" : "id-ID";
  data.charts.forEach(function (spec) {
    var node = document.getElementById("chart-" + spec.id);
    if (!node || !spec.groups.length) return;
    var chart = echarts.init(node);
    chart.setOption({
      tooltip: { trigger: "axis", valueFormatter: function (v) { return Number(v).toLocaleString(locale); } },
      legend: { top: 0 },
      grid: { left: 60, right: 20, top: 30, bottom: 60 },
      xAxis: { type: "category", data: spec.groups, axisLabel: { rotate: spec.groups.length > 6 ? 30 : 0 } },
      yAxis: { type: "value", axisLabel: { formatter: function (v) { return Number(v).toLocaleString(locale); } } },
      series: spec.series.map(function (s) { return { name: s.name, type: "bar", data: s.data }; })
    });
    window.addEventListener("resize", function () { chart.resize(); });
  });
})();
