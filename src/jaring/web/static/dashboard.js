// The dashboard's map and chart: ECharts, fed by the page's own data (no request per figure).
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("dashboard-data").textContent);
  const en = data.lang === "en";
  const byCode = new Map(data.rows.map((row) => [row.code, row]));
  const value = (row) => (row.coverage_pct !== null ? row.coverage_pct : row.covered);
  const measured = data.rows.some((row) => row.coverage_pct !== null);
  const label = measured ? (en ? "Coverage %" : "Cakupan %") : (en ? "Protected" : "Terlindungi");
  const high = Math.max(1, ...data.rows.map(value));
  const drill = (code) => {
    if (data.level !== "regency" && byCode.has(code)) {
      window.location.href = "/dashboard?region=" + encodeURIComponent(code);
    }
  };

  const bars = echarts.init(document.getElementById("bars"));
  const sorted = [...data.rows].sort((a, b) => value(a) - value(b));
  bars.setOption({
    grid: { left: 140, right: 20, top: 10, bottom: 30 },
    xAxis: { type: "value", name: label },
    yAxis: { type: "category", data: sorted.map((r) => r.name), axisLabel: { fontSize: 10 } },
    tooltip: {},
    series: [{ type: "bar", data: sorted.map(value), itemStyle: { color: "#0b6e4f" } }],
  });

  const node = document.getElementById("map");
  const map = echarts.init(node);
  window.jaringMap = map;
  const region = node.dataset.region;
  fetch("/dashboard/map.json" + (region ? "?region=" + encodeURIComponent(region) : ""), {
    credentials: "same-origin",
  })
    .then((response) => response.json())
    .then((shape) => {
      const visual = { min: 0, max: high, left: 10, bottom: 10, text: [label, ""], calculable: true,
        inRange: { color: ["#e5f5ec", "#0b6e4f"] } };
      if (shape.kind === "geo") {
        echarts.registerMap("here", shape.geojson);
        map.setOption({
          tooltip: { formatter: (p) => p.name + ": " + (p.value ?? "–") },
          visualMap: visual,
          series: [{
            type: "map", map: "here", nameProperty: "code", roam: true,
            data: data.rows.map((row) => ({ name: row.code, value: value(row), label: row.name })),
            label: { show: false },
          }],
        });
      } else {
        map.setOption({
          tooltip: { formatter: (p) => p.data.label + ": " + p.data.value[2] },
          visualMap: { ...visual, dimension: 2 },
          xAxis: { type: "value", show: false, min: -1, max: 17 },
          yAxis: { type: "value", show: false, inverse: true, min: -1, max: 9 },
          series: [{
            type: "scatter", symbol: "roundRect", symbolSize: 34,
            data: shape.tiles.map((tile) => ({
              name: tile.code, label: tile.name,
              value: [tile.x, tile.y, value(byCode.get(tile.code) || { covered: 0, coverage_pct: null })],
            })),
            label: { show: true, formatter: (p) => p.data.name, fontSize: 9 },
          }],
        });
      }
      // What ECharts itself laid out (not what was sent): the browser tests read it.
      node.dataset.drawn = String(map.getModel().getSeriesByIndex(0).getData().count());
      node.dataset.kind = shape.kind;
    });
  map.on("click", (params) => drill(params.name));
  // Trends: coverage at each month's close (the current month as it stands), and claims.
  const words = data.words;
  const months = data.trend.map((p) => (p.closed ? p.month : p.month + " (" + words.month_open + ")"));
  const line = (name, key, color, stack) => ({
    name, type: "line", stack, areaStyle: stack ? {} : undefined, connectNulls: false,
    data: data.trend.map((p) => p[key]), itemStyle: { color },
  });
  const trendNode = document.getElementById("trend-coverage");
  const coverage = echarts.init(trendNode);
  coverage.setOption({
    grid: { left: 60, right: 20, top: 40, bottom: 40 },
    legend: { top: 0 },
    tooltip: { trigger: "axis" },
    xAxis: { type: "category", data: months, axisLabel: { fontSize: 10 } },
    yAxis: { type: "value" },
    series: [
      line(words.sponsored, "sponsored", "#0b6e4f", "covered"),
      line(words.self_paying, "self_paying", "#5fb38a", "covered"),
      line(words.at_risk, "arrears", "#b35c00"),
      line(words.lapsed, "lapsed", "#a00"),
    ],
  });
  trendNode.dataset.points = String(coverage.getModel().getSeriesByIndex(0).getData().count());
  const claimsNode = document.getElementById("trend-claims");
  const claims = echarts.init(claimsNode);
  claims.setOption({
    grid: { left: 60, right: 70, top: 40, bottom: 40 },
    legend: { top: 0 },
    tooltip: { trigger: "axis" },
    xAxis: { type: "category", data: months, axisLabel: { fontSize: 10 } },
    yAxis: [{ type: "value", name: words.claims_filed }, { type: "value", name: "Rp" }],
    series: [
      { name: words.claims_filed, type: "bar", data: data.trend.map((p) => p.claims_filed),
        itemStyle: { color: "#4a6fa5" } },
      { name: words.benefits_paid, type: "line", yAxisIndex: 1, data: data.trend.map((p) => p.benefits_paid),
        itemStyle: { color: "#b35c00" } },
    ],
  });
  claimsNode.dataset.points = String(claims.getModel().getSeriesByIndex(0).getData().count());
  window.addEventListener("resize", () => { map.resize(); bars.resize(); coverage.resize(); claims.resize(); });
})();
