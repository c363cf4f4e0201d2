// The province map of the home page: commune boundaries served by the platform itself,
// before or after the 1 July 2025 reform. No basemap from another host is used.
"use strict";

(function () {
  const script = document.getElementById("home-map-script");
  const container = document.getElementById("map");
  if (!container || typeof maplibregl === "undefined") {
    return;
  }
  maplibregl.setWorkerUrl(script.dataset.worker);

  const labels = container.dataset;
  const status = document.getElementById("map-status");
  const info = document.getElementById("unit-info");
  const provinceCode = container.dataset.province;
  const geojsonUrl = container.dataset.boundariesUrl;
  const unitUrl = container.dataset.unitUrl;

  const map = new maplibregl.Map({
    container: "map",
    style: {
      version: 8,
      sources: {},
      layers: [{ id: "background", type: "background", paint: { "background-color": "#eef2f5" } }],
    },
    center: [105.3, 21.1],
    zoom: 8,
    attributionControl: false,
  });
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-right");
  map.addControl(new maplibregl.ScaleControl({ unit: "metric" }), "bottom-left");

  function setStatus(text) {
    status.textContent = text;
  }

  async function fetchJson(url) {
    const response = await fetch(url, { headers: { Accept: "application/json" } });
    if (!response.ok) {
      throw new Error(url + " " + response.status);
    }
    return response.json();
  }

  // After the reform the province's communes sit directly under it. Before it, the same
  // area was split between the provinces that merged, with districts in between.
  async function loadUnits(date) {
    const afterReform = date >= "2025-07-01";
    if (afterReform) {
      return fetchJson(`${geojsonUrl}?parent=${provinceCode}&date=${date}`);
    }
    const province = await fetchJson(`${unitUrl}${provinceCode}`);
    const codes = province.predecessors.map((link) => link.unit.code);
    const collections = await Promise.all(
      codes.flatMap((code) => [
        fetchJson(`${geojsonUrl}?parent=${code}&date=${date}&level=2`),
        fetchJson(`${geojsonUrl}?parent=${code}&date=${date}&level=3`),
      ]),
    );
    return { type: "FeatureCollection", features: collections.flatMap((c) => c.features) };
  }

  function bounds(collection) {
    const box = new maplibregl.LngLatBounds();
    for (const feature of collection.features) {
      if (!feature.geometry) continue;
      const walk = (coords) => {
        if (typeof coords[0] === "number") box.extend(coords);
        else coords.forEach(walk);
      };
      walk(feature.geometry.coordinates);
    }
    return box;
  }

  async function show(date) {
    setStatus(labels.labelLoading);
    let collection;
    try {
      collection = await loadUnits(date);
    } catch (error) {
      console.error(error);
      setStatus(labels.labelError);
      return;
    }
    const source = map.getSource("units");
    if (source) {
      source.setData(collection);
    } else {
      map.addSource("units", { type: "geojson", data: collection, promoteId: "code" });
      map.addLayer({
        id: "unit-fill", type: "fill", source: "units", filter: ["==", ["geometry-type"], "Polygon"],
        paint: {
          "fill-color": ["match", ["get", "level"], 2, "#d9c9a3", "#9cc3e6"],
          "fill-opacity": ["case", ["boolean", ["feature-state", "selected"], false], 0.85, 0.45],
        },
      });
      map.addLayer({
        id: "unit-line", type: "line", source: "units", filter: ["==", ["geometry-type"], "Polygon"],
        paint: { "line-color": "#31587a", "line-width": 1 },
      });
      map.addLayer({
        id: "unit-point", type: "circle", source: "units", filter: ["==", ["geometry-type"], "Point"],
        paint: { "circle-radius": 4, "circle-color": "#c0392b", "circle-stroke-color": "#fff", "circle-stroke-width": 1 },
      });
    }
    const box = bounds(collection);
    if (!box.isEmpty()) {
      map.fitBounds(box, { padding: 20, duration: 0 });
    }
    const points = collection.features.filter((f) => f.geometry && f.geometry.type === "Point").length;
    container.dataset.featureCount = String(collection.features.length);
    container.dataset.period = date;
    setStatus(points ? labels.labelPoints : "");
  }

  function describe(properties) {
    const link = document.createElement("a");
    link.href = `/units/${encodeURIComponent(properties.code)}/`;
    link.textContent = labels.labelDetails;
    info.replaceChildren();
    const title = document.createElement("strong");
    title.textContent = properties.name;
    info.append(title, document.createElement("br"), `${properties.type_label} · ${properties.code}`);
    if (properties.area_km2) {
      info.append(document.createElement("br"), `${labels.labelArea}: ${Number(properties.area_km2).toLocaleString(document.documentElement.lang)} km²`);
    }
    info.append(document.createElement("br"), link);
  }

  let selected = null;
  function select(code) {
    if (selected !== null) map.setFeatureState({ source: "units", id: selected }, { selected: false });
    selected = code;
    map.setFeatureState({ source: "units", id: code }, { selected: true });
  }

  map.on("load", () => {
    const checked = document.querySelector("input[name=period]:checked");
    show(checked ? checked.value : "2025-07-01");
    for (const radio of document.querySelectorAll("input[name=period]")) {
      radio.addEventListener("change", () => show(radio.value));
    }
    for (const layer of ["unit-fill", "unit-point"]) {
      map.on("click", layer, (event) => {
        const feature = event.features[0];
        select(feature.properties.code);
        describe(feature.properties);
      });
    }
  });

  // A click on a search result centres the map on the unit instead of leaving the page.
  document.getElementById("unit-search-results").addEventListener("click", (event) => {
    const link = event.target.closest("a[data-code]");
    if (!link || !link.dataset.lon || link.dataset.lon === "None") return;
    event.preventDefault();
    map.flyTo({ center: [Number(link.dataset.lon), Number(link.dataset.lat)], zoom: 11 });
    select(link.dataset.code);
    info.textContent = link.textContent;
  });

  window.tinhsoMap = map;
})();
