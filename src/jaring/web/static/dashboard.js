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
  window.addEventListener("resize", () => { map.resize(); bars.resize(); });
})();
