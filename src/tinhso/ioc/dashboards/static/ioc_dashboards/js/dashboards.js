// The leaders' dashboards: trend charts (ECharts), the commune choropleth (MapLibre), the live
// event feed (server-sent events) and the periodic refresh of the overview from its JSON API.
//
// No inline scripts: data comes from json_script elements and data attributes, and every
// text shown comes translated from the template. Elements report their state in data
// attributes that the browser tests read: the map container's data-ready, data-period and
// data-coloured-count, and the live feed's data-last-id.
"use strict";

(function () {
  const lang = document.documentElement.lang || "vi";
  const numberFormat = new Intl.NumberFormat(lang === "vi" ? "vi-VN" : "en-GB", { maximumFractionDigits: 2 });
  const NO_DATA = "#c8c8c8";

  function readJson(id) {
    const element = document.getElementById(id);
    return element ? JSON.parse(element.textContent) : null;
  }

  // --- Trend charts ------------------------------------------------------------------------

  const charts = [];

  function chartOption(series, kind) {
    const points = series.points;
    return {
      animation: false,
      grid: { left: 60, right: 16, top: 16, bottom: 40 },
      tooltip: {
        trigger: "axis",
        // Rich text draws the tooltip on the canvas: HTML tooltips carry inline styles that the CSP blocks.
        renderMode: "richText",
        valueFormatter: (value) => (value === null || value === undefined ? "—" : numberFormat.format(value)),
      },
      xAxis: { type: "category", data: points.map((p) => p.label) },
      yAxis: { type: "value", axisLabel: { formatter: (value) => numberFormat.format(value) } },
      series: [
        {
          type: kind === "bar" ? "bar" : "line",
          name: series.indicator.name,
          // A hollow symbol marks a partial figure (not every unit reported).
          data: points.map((p) => ({ value: p.value, url: p.url, symbol: p.partial ? "emptyCircle" : "circle" })),
          symbolSize: 7,
          itemStyle: { color: "#1f6fb2" },
        },
      ],
    };
  }

  function drawCharts() {
    if (typeof echarts === "undefined") return;
    for (const element of document.querySelectorAll(".dash-chart")) {
      const all = readJson(element.dataset.seriesSource);
      if (!all) continue;
      const series = all[Number(element.dataset.seriesIndex)];
      if (!series) continue;
      let chart = echarts.getInstanceByDom(element);
      if (!chart) {
        chart = echarts.init(element, null, { renderer: "canvas" });
        // Every number links to its provenance: a click on a point opens it.
        chart.on("click", (params) => {
          if (params.data && params.data.url) window.location.href = params.data.url;
        });
        charts.push(chart);
      }
      chart.setOption(chartOption(series, element.dataset.chartKind), true);
      element.dataset.points = String(series.points.length);
    }
  }

  window.addEventListener("resize", () => charts.forEach((chart) => chart.resize()));

  // --- Overview refresh from the JSON API ----------------------------------------------------

  const REFRESH_MS = 5 * 60 * 1000;

  function updateCards(cards) {
    for (const card of cards) {
      const article = document.querySelector(`.dash-card[data-indicator="${CSS.escape(card.indicator.code)}"]`);
      if (!article || !card.latest) continue;
      const link = article.querySelector(".dash-value");
      if (link) {
        link.textContent = card.latest.display;
        link.href = card.latest.url;
      }
    }
  }

  function startOverviewRefresh() {
    const overview = document.getElementById("overview");
    const source = document.getElementById("overview-series");
    if (!overview || !source) return;
    setInterval(async () => {
      try {
        const response = await fetch(overview.dataset.overviewUrl, { headers: { Accept: "application/json" } });
        if (!response.ok) return;
        const data = await response.json();
        updateCards(data.cards);
        source.textContent = JSON.stringify(data.series);
        drawCharts();
      } catch (error) {
        console.warn("Overview refresh failed", error);
      }
    }, REFRESH_MS);
  }

  // --- Choropleth of communes --------------------------------------------------------------

  function setupChoropleth() {
    const container = document.getElementById("choropleth");
    const form = document.getElementById("choropleth-controls");
    if (!container || !form || typeof maplibregl === "undefined") return;
    const script = document.getElementById("dashboards-script");
    maplibregl.setWorkerUrl(script.dataset.worker);
    const labels = container.dataset;
    const legend = document.getElementById("choropleth-legend");
    const tableBox = document.getElementById("choropleth-table");
    const periodSelect = form.elements.period;
    let boundaries = null;
    let current = null;

    const map = new maplibregl.Map({
      container: container,
      style: { version: 8, sources: {}, layers: [{ id: "background", type: "background", paint: { "background-color": "#eef2f5" } }] },
      center: [105.3, 21.1],
      zoom: 8,
      attributionControl: false,
    });
    map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-right");

    async function fetchJson(url) {
      const response = await fetch(url, { headers: { Accept: "application/json" } });
      if (!response.ok) throw new Error(`${url} ${response.status}`);
      return response.json();
    }

    async function loadBoundaries() {
      if (boundaries) return boundaries;
      const url = `${labels.boundariesUrl}?parent=${encodeURIComponent(labels.province)}&date=2025-07-01&lang=${lang}`;
      boundaries = await fetchJson(url);
      return boundaries;
    }

    function legendEntry(colour, text) {
      const item = document.createElement("li");
      const swatch = document.createElement("span");
      swatch.className = "swatch";
      swatch.dataset.colour = colour;
      swatch.style.backgroundColor = colour;
      item.append(swatch, text);
      return item;
    }

    function drawLegend(data) {
      legend.replaceChildren();
      const title = document.createElement("p");
      title.className = "legend-title";
      title.textContent = `${data.indicator.name} · ${data.period_label || ""}`;
      const list = document.createElement("ul");
      for (const entry of data.classes || []) list.append(legendEntry(entry.colour, `${entry.label} (${entry.count})`));
      const noData = data.no_data || [];
      const noDataItem = legendEntry(data.no_data_colour || NO_DATA, `${labels.labelNoData} (${noData.length})`);
      noDataItem.dataset.testid = "legend-no-data";
      list.append(noDataItem);
      legend.append(title, list);
      if (noData.length) {
        const names = document.createElement("p");
        names.className = "legend-missing";
        names.dataset.testid = "legend-missing";
        names.textContent = noData.map((unit) => unit.name).join(", ");
        legend.append(names);
      }
      if (data.partial_count) {
        const partial = document.createElement("p");
        partial.className = "muted";
        partial.textContent = `* ${labels.labelPartial} (${data.partial_count})`;
        legend.append(partial);
      }
      if (data.on_old_units) {
        const note = document.createElement("p");
        note.className = "muted";
        note.textContent = labels.labelOldUnits;
        legend.append(note);
      }
    }

    function drawTable(data) {
      const table = document.createElement("table");
      table.className = "table";
      const head = document.createElement("tr");
      for (const text of [labels.labelCommune, labels.labelValue]) {
        const cell = document.createElement("th");
        cell.textContent = text;
        head.append(cell);
      }
      head.lastChild.className = "number";
      const body = document.createElement("tbody");
      for (const [code, row] of Object.entries(data.values || {})) {
        const tr = document.createElement("tr");
        tr.dataset.code = code;
        const name = document.createElement("td");
        if (row.dashboard) {
          const link = document.createElement("a");
          link.href = row.dashboard;
          link.textContent = row.name;
          name.append(link);
        } else {
          name.textContent = row.name;
        }
        const value = document.createElement("td");
        value.className = "number";
        if (row.url) {
          const link = document.createElement("a");
          link.href = row.url;
          link.textContent = row.display;
          value.append(link);
        } else {
          value.textContent = row.display;
        }
        if (row.partial) {
          const mark = document.createElement("span");
          mark.className = "partial-mark";
          mark.title = labels.labelPartial;
          mark.textContent = "*";
          value.append(" ", mark);
        }
        tr.append(name, value);
        body.append(tr);
      }
      const thead = document.createElement("thead");
      thead.append(head);
      table.append(thead, body);
      tableBox.replaceChildren(table);
    }

    function colour(collection, data) {
      let coloured = 0;
      for (const feature of collection.features) {
        const entry = data.on_old_units ? null : (data.values || {})[feature.properties.code];
        feature.properties.colour = entry && entry.value !== null ? entry.colour : NO_DATA;
        if (entry && entry.value !== null) coloured += 1;
      }
      return coloured;
    }

    function addLayers(collection) {
      map.addSource("communes", { type: "geojson", data: collection, promoteId: "code" });
      map.addLayer({
        id: "commune-fill", type: "fill", source: "communes",
        filter: ["in", ["geometry-type"], ["literal", ["Polygon", "MultiPolygon"]]],
        paint: { "fill-color": ["get", "colour"], "fill-opacity": 0.85 },
      });
      map.addLayer({
        id: "commune-line", type: "line", source: "communes",
        filter: ["in", ["geometry-type"], ["literal", ["Polygon", "MultiPolygon"]]],
        paint: { "line-color": "#ffffff", "line-width": 0.6 },
      });
      map.addLayer({
        id: "commune-point", type: "circle", source: "communes", filter: ["==", ["geometry-type"], "Point"],
        paint: { "circle-radius": 5, "circle-color": ["get", "colour"], "circle-stroke-color": "#31587a", "circle-stroke-width": 1 },
      });
      const popup = new maplibregl.Popup({ closeButton: false, closeOnClick: false, offset: 8 });
      for (const layer of ["commune-fill", "commune-point"]) {
        // Drill-down: a click on a commune opens its dashboard.
        map.on("click", layer, (event) => {
          const entry = current && (current.values || {})[event.features[0].properties.code];
          if (entry && entry.dashboard) window.location.href = entry.dashboard;
        });
        map.on("mousemove", layer, (event) => {
          map.getCanvas().classList.add("pointer");
          const properties = event.features[0].properties;
          const entry = current && (current.values || {})[properties.code];
          const text = entry ? `${properties.name}: ${entry.display}${entry.partial ? " *" : ""}` : properties.name;
          popup.setLngLat(event.lngLat).setText(text).addTo(map);
        });
        map.on("mouseleave", layer, () => {
          map.getCanvas().classList.remove("pointer");
          popup.remove();
        });
      }
      const box = new maplibregl.LngLatBounds();
      const walk = (coords) => (typeof coords[0] === "number" ? box.extend(coords) : coords.forEach(walk));
      for (const feature of collection.features) if (feature.geometry) walk(feature.geometry.coordinates);
      if (!box.isEmpty()) map.fitBounds(box, { padding: 20, duration: 0 });
    }

    function fillPeriods(data) {
      const chosen = periodSelect.value;
      periodSelect.replaceChildren();
      for (const period of data.periods || []) {
        const option = document.createElement("option");
        option.value = period.code;
        option.textContent = period.label;
        option.selected = period.code === (data.period || chosen);
        periodSelect.append(option);
      }
    }

    async function show(resetPeriod) {
      container.setAttribute("aria-busy", "true");
      delete container.dataset.ready;
      const params = new URLSearchParams({
        indicator: form.elements.indicator.value,
        history: form.querySelector("input[name=history]:checked").value,
        sector: labels.sector || "",
        lang: lang,
      });
      if (!resetPeriod && periodSelect.value) params.set("period", periodSelect.value);
      let data;
      let collection;
      try {
        [data, collection] = await Promise.all([fetchJson(`${labels.mapUrl}?${params}`), loadBoundaries()]);
      } catch (error) {
        console.error(error);
        legend.textContent = labels.labelError;
        container.removeAttribute("aria-busy");
        return;
      }
      current = data;
      fillPeriods(data);
      if (!data.periods || !data.periods.length) {
        legend.textContent = labels.labelNoPeriods;
        tableBox.replaceChildren();
      } else {
        drawLegend(data);
        drawTable(data);
      }
      const coloured = colour(collection, data);
      const source = map.getSource("communes");
      if (source) source.setData(collection);
      else addLayers(collection);
      container.dataset.period = data.period || "";
      container.dataset.colouredCount = String(coloured);
      container.dataset.featureCount = String(collection.features.length);
      container.dataset.ready = "1";
      container.removeAttribute("aria-busy");
    }

    map.on("load", () => {
      show(true);
      form.elements.indicator.addEventListener("change", () => show(true));
      periodSelect.addEventListener("change", () => show(false));
      for (const radio of form.querySelectorAll("input[name=history]")) radio.addEventListener("change", () => show(false));
    });
    form.addEventListener("submit", (event) => event.preventDefault());
  }

  // --- Live feed of events (server-sent events) ---------------------------------------------

  const FEED_LENGTH = 50;

  function setupLiveFeed() {
    const feed = document.getElementById("live-feed");
    if (!feed || typeof EventSource === "undefined") return;
    const state = document.getElementById("live-state");
    const source = new EventSource(feed.dataset.liveUrl);
    source.addEventListener("open", () => {
      state.textContent = state.dataset.labelConnected;
      state.dataset.state = "open";
    });
    source.addEventListener("error", () => {
      // EventSource reconnects by itself, sending the Last-Event-ID header.
      state.textContent = state.dataset.labelReconnecting;
      state.dataset.state = "reconnecting";
    });
    source.addEventListener("ioc-event", (message) => {
      const event = JSON.parse(message.data);
      if (feed.querySelector(`li[data-event-id="${event.id}"]`)) return;
      const item = document.createElement("li");
      item.dataset.eventId = String(event.id);
      item.className = `severity-${event.severity || "none"} fresh`;
      const time = document.createElement("time");
      time.textContent = event.time;
      const type = document.createElement("strong");
      type.textContent = event.label || event.type;
      type.dataset.type = event.type;
      item.append(time, " ", type);
      if (event.title && event.url) {
        // The server sends only paths on this site as url; textContent escapes the title.
        const link = document.createElement("a");
        link.href = event.url;
        link.textContent = event.title;
        item.append(" · ", link);
      } else if (event.title) {
        item.append(` · ${event.title}`);
      }
      if (event.unit) item.append(` · ${event.unit}`);
      feed.prepend(item);
      while (feed.children.length > FEED_LENGTH) feed.lastElementChild.remove();
      feed.dataset.lastId = String(event.id);
      const empty = document.getElementById("live-empty");
      if (empty) empty.remove();
    });
  }

  function setupAutosubmit() {
    for (const input of document.querySelectorAll("input[data-autosubmit]")) {
      input.addEventListener("change", () => input.form.submit());
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    drawCharts();
    setupChoropleth();
    setupLiveFeed();
    setupAutosubmit();
    startOverviewRefresh();
  });
})();
