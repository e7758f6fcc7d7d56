/* The dashboard's charts, drawn with the vendored Apache ECharts from the figures the page
   carries (#dashboard-data); every chart has a table beside it, so nothing here is needed to
   read the numbers. The map's boundaries are a static file; a city links to its list. */
(function () {
  "use strict";
  var source = document.getElementById("dashboard-data");
  if (!source || !window.echarts) return;
  var data = JSON.parse(source.textContent);
  var lang = document.documentElement.lang === "en" ? "en" : "zh";
  var T = lang === "en"
    ? { needs: "Needs", caps: "Capabilities", published: "Needs published", started: "Pilots started",
        validated: "Pilots validated", median: "Median", p90: "90th percentile", pairs: "Recommendations" }
    : { needs: "需求", caps: "能力", published: "发布的需求", started: "开始的试点",
        validated: "验证成功", median: "中位数", p90: "第 90 百分位", pairs: "推荐数" };
  var charts = [];

  function draw(id, option) {
    var el = document.getElementById(id);
    if (!el) return null;
    var chart = echarts.init(el, null, { renderer: "svg" });
    chart.setOption(Object.assign({ animation: false, tooltip: { trigger: "axis" } }, option));
    charts.push(chart);
    return chart;
  }
  function names(rows, key) { return rows.map(function (r) { return r[key || "name"]; }); }
  function values(rows, key) { return rows.map(function (r) { return r[key]; }); }
  var grid = { left: 24, right: 16, top: 36, bottom: 8, containLabel: true };

  draw("chart-funnel", {
    tooltip: { trigger: "item" },
    series: [{ type: "funnel", sort: "none", left: "10%", width: "80%", minSize: "35%",
      label: { show: true, position: "inside", formatter: "{b}  {c}" },
      data: data.funnel.map(function (s) { return { name: s.name, value: s.n }; }) }]
  });
  draw("chart-categories", {
    tooltip: { trigger: "item" },
    series: [{ type: "pie", radius: ["35%", "65%"], label: { formatter: "{b}\n{c}" },
      data: data.categories.filter(function (c) { return c.n > 0; })
        .map(function (c) { return { name: c.name, value: c.n }; }) }]
  });
  draw("chart-chains", {
    legend: { data: [T.needs, T.caps] }, grid: grid,
    xAxis: { type: "category", data: names(data.chains),
      axisLabel: { interval: 0, rotate: 40, width: 90, overflow: "truncate" } },
    yAxis: { type: "value", minInterval: 1 },
    series: [{ name: T.needs, type: "bar", data: values(data.chains, "needs") },
             { name: T.caps, type: "bar", data: values(data.chains, "capabilities") }]
  });
  draw("chart-months", {
    legend: { data: [T.published, T.started, T.validated] }, grid: grid,
    xAxis: { type: "category", data: names(data.months, "month") },
    yAxis: { type: "value", minInterval: 1 },
    series: [{ name: T.published, type: "line", data: values(data.months, "published") },
             { name: T.started, type: "line", data: values(data.months, "pilots_started") },
             { name: T.validated, type: "line", data: values(data.months, "pilots_validated") }]
  });
  if (data.review_days) {
    draw("chart-review", {
      legend: { data: [T.median, T.p90] }, grid: grid,
      xAxis: { type: "category", data: names(data.review_days) },
      yAxis: { type: "value" },
      series: [{ name: T.median, type: "bar", data: data.review_days.map(function (r) { return +r.median_days.toFixed(1); }) },
               { name: T.p90, type: "bar", data: data.review_days.map(function (r) { return +r.p90_days.toFixed(1); }) }]
    });
  }
  if (data.scores) {
    draw("chart-scores", {
      grid: grid,
      xAxis: { type: "category", data: data.scores.map(function (b) { return b.from.toFixed(1); }) },
      yAxis: { type: "value", minInterval: 1 },
      series: [{ name: T.pairs, type: "bar", data: values(data.scores, "n") }]
    });
  }

  var mapEl = document.getElementById("chart-map");
  if (mapEl) {
    fetch(mapEl.dataset.map).then(function (r) { return r.json(); }).then(function (geo) {
      // Labels sit on each city's seat (properties.cp); Yichun's seat lies beside Xinyu's and
      // the two names overlapped, so Yichun's label moves into its northern counties (宜丰).
      var labelAt = { "宜春市": [114.78, 28.4] };
      geo.features.forEach(function (f) {
        if (labelAt[f.properties.name]) f.properties.cp = labelAt[f.properties.name];
      });
      echarts.registerMap("jiangxi", geo);
      var cities = data.cities.filter(function (c) { return !c.province && !c.outside; });
      var max = Math.max.apply(null, [1].concat(values(cities, "needs")));
      var chart = draw("chart-map", {
        tooltip: { trigger: "item", formatter: function (p) {
          var c = p.data || {};
          return (c.full || p.name) + "<br>" + T.needs + " " + (c.value || 0) + " · " + T.caps + " " + (c.capabilities || 0);
        } },
        visualMap: { min: 0, max: max, left: 8, bottom: 8, calculable: false,
          inRange: { color: ["#e8f0fb", "#1d4f91"] }, text: [String(max), "0"] },
        series: [{ type: "map", map: "jiangxi", roam: false, nameProperty: "name",
          label: { show: true, fontSize: 10,
            formatter: function (p) { return (p.data && p.data.label) || p.name; } },
          labelLayout: { moveOverlap: "shiftY" },
          data: cities.map(function (c) {
            return { name: c.name, value: c.needs, capabilities: c.capabilities, code: c.code,
                     full: c.full, label: c.label };
          }) }]
      });
      if (chart) {
        chart.on("click", function (p) {
          if (p.data && p.data.code) window.location.href = "/opportunities/?region=" + p.data.code;
        });
      }
    });
  }
  // Follow the container's width (a phone turned, a window resized).
  // Only a change of width redraws, once per frame (a redraw never feeds back into sizes).
  if (window.ResizeObserver) {
    var widths = new WeakMap(), pending = false;
    var observer = new ResizeObserver(function (entries) {
      var changed = entries.some(function (e) {
        var w = Math.round(e.contentRect.width), before = widths.get(e.target);
        widths.set(e.target, w);
        return before !== undefined && before !== w;
      });
      if (!changed || pending) return;
      pending = true;
      window.requestAnimationFrame(function () {
        pending = false;
        charts.forEach(function (c) { c.resize(); });
      });
    });
    Array.prototype.forEach.call(document.querySelectorAll(".chart"), function (el) { observer.observe(el); });
  }
})();
