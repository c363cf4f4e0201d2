// The province map of the home page: commune boundaries served by the platform itself,
// before or after the 1 July 2025 reform. No basemap from another host is used.
//
// The map container reports its state in data attributes, which the browser tests read:
// data-period (the date shown), data-feature-count, data-point-count (units drawn as
// points because they have no boundary) and data-selected (code of the selected unit).
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
  const searchInput = document.getElementById("unit-search-input");
  const searchResults = document.getElementById("unit-search-results");
  const provinceCode = container.dataset.province;
  const geojsonUrl = container.dataset.boundariesUrl;
  const unitUrl = container.dataset.unitUrl;
  const DISTRICT = 2;
  // Zoom at which a commune of a few tens of km² fills most of the map.
  const UNIT_ZOOM = 11;

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

  // Features of the period on the map, by code, for the search results and the info panel.
  let featuresByCode = new Map();
  let selected = null;

  function setStatus(text) {
    status.textContent = text;
  }

  // The API falls back to Accept-Language when a request names no language, so name the page's.
  async function fetchJson(url) {
    const localized = `${url}${url.includes("?") ? "&" : "?"}lang=${document.documentElement.lang}`;
    const response = await fetch(localized, { headers: { Accept: "application/json" } });
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
    // A district without a boundary would only be a point on top of its own communes.
    const features = collections
      .flatMap((c) => c.features)
      .filter((f) => f.properties.level !== DISTRICT || f.properties.has_boundary);
    return { type: "FeatureCollection", features: features };
  }

  function extend(box, geometry) {
    const walk = (coords) => {
      if (typeof coords[0] === "number") box.extend(coords);
      else coords.forEach(walk);
    };
    walk(geometry.coordinates);
  }

  function bounds(collection) {
    const box = new maplibregl.LngLatBounds();
    for (const feature of collection.features) {
      if (feature.geometry) extend(box, feature.geometry);
    }
    return box;
  }

  function isPolygon() {
    return ["in", ["geometry-type"], ["literal", ["Polygon", "MultiPolygon"]]];
  }

  function isSelected() {
    return ["boolean", ["feature-state", "selected"], false];
  }

  function addLayers(collection) {
    map.addSource("units", { type: "geojson", data: collection, promoteId: "code" });
    map.addLayer({
      id: "unit-fill", type: "fill", source: "units", filter: isPolygon(),
      paint: {
        "fill-color": ["case", isSelected(), "#f0a830", ["match", ["get", "level"], DISTRICT, "#d9c9a3", "#9cc3e6"]],
        "fill-opacity": ["case", isSelected(), 0.8, 0.5],
      },
    });
    map.addLayer({
      id: "unit-line", type: "line", source: "units", filter: isPolygon(),
      paint: {
        "line-color": ["case", isSelected(), "#a05a00", "#31587a"],
        "line-width": ["case", isSelected(), 2.5, 0.8],
      },
    });
    map.addLayer({
      id: "unit-point", type: "circle", source: "units", filter: ["==", ["geometry-type"], "Point"],
      paint: {
        "circle-radius": ["case", isSelected(), 7, 4],
        "circle-color": ["case", isSelected(), "#f0a830", "#c0392b"],
        "circle-stroke-color": "#fff",
        "circle-stroke-width": 1,
      },
    });
  }

  async function show(date) {
    setStatus(labels.labelLoading);
    container.setAttribute("aria-busy", "true");
    let collection;
    try {
      collection = await loadUnits(date);
    } catch (error) {
      console.error(error);
      setStatus(labels.labelError);
      container.removeAttribute("aria-busy");
      return;
    }
    clearSelection();
    featuresByCode = new Map(collection.features.map((f) => [f.properties.code, f]));
    const source = map.getSource("units");
    if (source) {
      source.setData(collection);
    } else {
      addLayers(collection);
    }
    const box = bounds(collection);
    if (!box.isEmpty()) {
      map.fitBounds(box, { padding: 20, duration: 0 });
    }
    const points = collection.features.filter((f) => f.geometry && f.geometry.type === "Point").length;
    container.dataset.featureCount = String(collection.features.length);
    container.dataset.pointCount = String(points);
    container.dataset.period = date;
    container.removeAttribute("aria-busy");
    setStatus(points ? labels.labelPoints : "");
  }

  function describe(properties) {
    const link = document.createElement("a");
    // Old and new units may share a code, so the page is asked for the period on the map.
    link.href = `/units/${encodeURIComponent(properties.code)}/?date=${container.dataset.period || ""}`;
    link.textContent = labels.labelDetails;
    info.replaceChildren();
    const title = document.createElement("strong");
    title.textContent = properties.name;
    const type = properties.type_label.charAt(0).toUpperCase() + properties.type_label.slice(1);
    info.append(title, document.createElement("br"), `${type} · ${properties.code}`);
    if (properties.area_km2) {
      const area = Number(properties.area_km2).toLocaleString(document.documentElement.lang);
      info.append(document.createElement("br"), `${labels.labelArea}: ${area} km²`);
    }
    info.append(document.createElement("br"), link);
    info.hidden = false;
  }

  function clearSelection() {
    if (selected !== null && map.getSource("units")) {
      map.setFeatureState({ source: "units", id: selected }, { selected: false });
    }
    selected = null;
    delete container.dataset.selected;
    info.replaceChildren();
    info.hidden = true;
  }

  function select(code) {
    if (selected !== null) map.setFeatureState({ source: "units", id: selected }, { selected: false });
    selected = code;
    map.setFeatureState({ source: "units", id: code }, { selected: true });
    container.dataset.selected = code;
  }

  // The unit's name under the pointer, so that the map can be read without clicking.
  const hoverLabel = new maplibregl.Popup({
    closeButton: false, closeOnClick: false, className: "unit-hover", offset: 8,
  });

  map.on("load", () => {
    const checked = document.querySelector("input[name=period]:checked");
    show(checked ? checked.value : "2025-07-01");
    for (const radio of document.querySelectorAll("input[name=period]")) {
      radio.addEventListener("change", () => {
        show(radio.value);
        // The results were found for the other period: search again for this one.
        if (searchInput && searchInput.value.trim().length >= 2 && typeof htmx !== "undefined") {
          htmx.trigger(searchInput, "search");
        }
      });
    }
    for (const layer of ["unit-fill", "unit-point"]) {
      map.on("click", layer, (event) => {
        const feature = event.features[0];
        select(feature.properties.code);
        describe(feature.properties);
      });
      map.on("mousemove", layer, (event) => {
        map.getCanvas().classList.add("pointer");
        hoverLabel.setLngLat(event.lngLat).setText(event.features[0].properties.name).addTo(map);
      });
      map.on("mouseleave", layer, () => {
        map.getCanvas().classList.remove("pointer");
        hoverLabel.remove();
      });
    }
  });

  // A click on a search result centres the map on the unit instead of leaving the page.
  // Units that the map does not show (another province or period) open their own page.
  searchResults.addEventListener("click", (event) => {
    const link = event.target.closest("a[data-code]");
    if (!link || !link.dataset.lon || !featuresByCode.has(link.dataset.code)) return;
    event.preventDefault();
    map.flyTo({ center: [Number(link.dataset.lon), Number(link.dataset.lat)], zoom: UNIT_ZOOM });
    select(link.dataset.code);
    describe(featuresByCode.get(link.dataset.code).properties);
  });

  window.tinhsoMap = map;
})();
