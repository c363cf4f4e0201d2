// The provincial digital map shows the province's own vector tile layers, with no basemap or
// font from another host. Its tools are a layer tree with legend, visibility and opacity,
// identify by click, search, and measurement of distances and areas on the server. A date
// picker shows the administrative boundaries before or after the 1 July 2025 reform.
//
// The page embeds three JSON blocks: #map-layers (the layers the reader may read), #map-ui
// (texts in the page's language) and #map-config (extent, dates, endpoints).
//
// Other scripts extend the map through window.tinhsoMap = { map, draw, layers, whenReady(cb),
// drawOwner }, and they run after this one. whenReady(cb) calls cb once the map and its layers
// are loaded. At that moment a bubbling "tinhso:map-ready" event is dispatched on document.
// A script that draws for its own purpose sets tinhsoMap.drawOwner to its name meanwhile.
// The measurement tool measures drawn features only while drawOwner is null or "measure".
//
// The map container reports its state in data attributes that the browser tests read:
// data-ready, data-idle, data-date (date of the boundaries shown) and data-rendered-<slug>
// (features of a layer drawn in the view, updated when the map is idle).
"use strict";

(function () {
  const container = document.getElementById("map");
  const script = document.getElementById("geo-map-script");
  if (!container || !script) return;

  const readJson = (id) => JSON.parse(document.getElementById(id).textContent);
  const layers = readJson("map-layers");
  const ui = readJson("map-ui");
  const config = readJson("map-config");
  const lang = document.documentElement.lang || "vi";
  const { format, csrfToken } = window.tinhsoDom;
  const status = document.getElementById("map-status");

  const readyCallbacks = [];
  const api = {
    map: null,
    draw: null,
    layers: layers,
    drawOwner: null,
    ready: false,
    whenReady(callback) {
      if (api.ready) callback(api);
      else readyCallbacks.push(callback);
    },
  };
  window.tinhsoMap = api;

  if (typeof maplibregl === "undefined") return;
  maplibregl.setWorkerUrl(new URL(config.worker, window.location.origin).href);

  const layersBySlug = new Map(layers.map((layer) => [layer.slug, layer]));
  let boundaryDate = config.date;

  function setStatus(text) {
    if (status) status.textContent = text;
  }

  // --- Sources and layers ------------------------------------------------------------------

  function tileUrl(layer) {
    // The worker resolves URLs against its own script, so the template is made absolute.
    // new URL() would percent-encode the {z}/{x}/{y} placeholders.
    const url = window.location.origin + layer.tiles;
    return layer.time_aware ? `${url}?date=${boundaryDate}` : url;
  }

  function styleLayerIds(layer) {
    const parts = {
      POINT: ["circle"],
      LINESTRING: ["line"],
      POLYGON: ["fill", "line"],
      GEOMETRY: ["fill", "line", "circle"],
    }[layer.geometry_type] || ["fill", "line", "circle"];
    return parts.map((part) => ({ id: `${layer.slug}--${part}`, part: part }));
  }

  const POLYGONS = ["match", ["geometry-type"], ["Polygon", "MultiPolygon"], true, false];
  const LINES = ["match", ["geometry-type"], ["LineString", "MultiLineString"], true, false];
  const POINTS = ["match", ["geometry-type"], ["Point", "MultiPoint"], true, false];

  function paintOf(layer, part, opacity) {
    const style = layer.style;
    if (part === "fill") {
      return { "fill-color": style.fill, "fill-opacity": Number(style.opacity) * opacity };
    }
    if (part === "line") {
      return { "line-color": style.color, "line-width": Number(style.width), "line-opacity": opacity };
    }
    return {
      "circle-color": style.color,
      "circle-radius": Number(style.radius),
      "circle-opacity": opacity,
      "circle-stroke-color": "#ffffff",
      "circle-stroke-width": 1,
      "circle-stroke-opacity": opacity,
    };
  }

  // NOTE: features carry no text labels on the map, because symbol layers need font glyphs
  // and the platform serves none. Identify and search give the names instead.
  function addLayer(layer) {
    map.addSource(layer.slug, {
      type: "vector",
      tiles: [tileUrl(layer)],
      minzoom: Math.min(layer.min_zoom, layer.tile_max_zoom),
      maxzoom: layer.tile_max_zoom,
    });
    for (const { id, part } of styleLayerIds(layer)) {
      const definition = {
        id: id,
        type: part,
        source: layer.slug,
        "source-layer": layer.slug,
        minzoom: layer.min_zoom,
        maxzoom: Math.max(layer.max_zoom, layer.min_zoom + 1),
        paint: paintOf(layer, part, 1),
      };
      // A line layer of a polygon layer draws the outlines; a mixed layer draws each kind.
      if (layer.geometry_type === "GEOMETRY") {
        definition.filter = { fill: POLYGONS, line: LINES, circle: POINTS }[part];
      } else if (layer.geometry_type === "POLYGON" || layer.geometry_type === "LINESTRING") {
        definition.filter = part === "fill" ? POLYGONS : ["!", POINTS];
      }
      map.addLayer(definition);
    }
  }

  function setVisibility(layer, visible) {
    for (const { id } of styleLayerIds(layer)) {
      map.setLayoutProperty(id, "visibility", visible ? "visible" : "none");
    }
  }

  function setOpacity(layer, opacity) {
    for (const { id, part } of styleLayerIds(layer)) {
      for (const [name, value] of Object.entries(paintOf(layer, part, opacity))) {
        if (name.endsWith("opacity")) map.setPaintProperty(id, name, value);
      }
    }
  }

  function setBoundaryDate(date) {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) return;
    boundaryDate = date;
    for (const layer of layers) {
      if (!layer.time_aware) continue;
      const source = map.getSource(layer.slug);
      if (source) source.setTiles([tileUrl(layer)]);
    }
    container.dataset.date = date;
    const input = document.getElementById("map-date-input");
    if (input && input.value !== date) input.value = date;
    setStatus(format(ui.dateShown, { date: date.split("-").reverse().join("/") }));
    // Units found for the old date may not exist on the new one, so shown results are redone.
    const list = document.getElementById("map-search-results");
    if (list && list.childElementCount) runSearch(false);
  }

  // --- Layer tree --------------------------------------------------------------------------

  const SVG = "http://www.w3.org/2000/svg";

  function svgElement(name, attributes) {
    const element = document.createElementNS(SVG, name);
    for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, String(value));
    return element;
  }

  function swatch(layer) {
    const style = layer.style;
    const icon = svgElement("svg", { width: 20, height: 14, viewBox: "0 0 20 14", "aria-hidden": "true" });
    icon.classList.add("geo-swatch");
    if (layer.geometry_type === "POINT") {
      icon.append(svgElement("circle", { cx: 10, cy: 7, r: Math.min(Number(style.radius), 6), fill: style.color, stroke: "#fff" }));
    } else if (layer.geometry_type === "LINESTRING") {
      icon.append(svgElement("line", { x1: 1, y1: 10, x2: 19, y2: 4, stroke: style.color, "stroke-width": Math.max(Number(style.width), 1.5) }));
    } else {
      icon.append(svgElement("rect", {
        x: 1, y: 1, width: 18, height: 12, fill: style.fill, "fill-opacity": Math.max(Number(style.opacity), 0.2),
        stroke: style.color, "stroke-width": Math.max(Number(style.width), 1),
      }));
    }
    return icon;
  }

  function layerItem(layer) {
    const item = document.createElement("li");
    item.className = "geo-layer";
    item.dataset.layer = layer.slug;

    const label = document.createElement("label");
    const checkbox = document.createElement("input");
    checkbox.type = "checkbox";
    checkbox.checked = true;
    checkbox.dataset.testid = `layer-toggle-${layer.slug}`;
    checkbox.setAttribute("aria-label", `${ui.visible}: ${layer.name}`);
    checkbox.addEventListener("change", () => {
      setVisibility(layer, checkbox.checked);
      item.classList.toggle("geo-layer-hidden", !checkbox.checked);
    });
    const name = document.createElement("span");
    name.textContent = layer.name;
    label.append(checkbox, swatch(layer), name);

    const slider = document.createElement("input");
    slider.type = "range";
    slider.min = "0";
    slider.max = "100";
    slider.value = "100";
    slider.className = "geo-opacity";
    slider.dataset.testid = `layer-opacity-${layer.slug}`;
    slider.setAttribute("aria-label", `${ui.opacity}: ${layer.name}`);
    slider.addEventListener("input", () => setOpacity(layer, Number(slider.value) / 100));

    item.append(label, slider);
    return item;
  }

  function buildLayerTree() {
    const tree = document.getElementById("map-layer-tree");
    if (!tree || layers.length === 0) return;
    const groups = new Map();
    for (const layer of layers) {
      if (!groups.has(layer.group)) groups.set(layer.group, []);
      groups.get(layer.group).push(layer);
    }
    tree.replaceChildren();
    for (const [group, members] of groups) {
      const details = document.createElement("details");
      details.open = true;
      details.className = "geo-layer-group";
      const summary = document.createElement("summary");
      summary.textContent = group;
      const list = document.createElement("ul");
      list.append(...members.map(layerItem));
      details.append(summary, list);
      tree.append(details);
    }
  }

  // --- Identify ----------------------------------------------------------------------------

  const MAX_IDENTIFIED = 10;
  const CLICK_TOLERANCE_PX = 4;

  function formatValue(value, type) {
    if (value === null || value === undefined || value === "") return "—";
    if (type === "boolean") return value === true || value === "true" ? ui.yes : ui.no;
    if ((type === "number" || type === "integer") && !Number.isNaN(Number(value))) {
      return Number(value).toLocaleString(lang);
    }
    if (type === "date" && /^\d{4}-\d{2}-\d{2}$/.test(String(value)) && lang === "vi") {
      return String(value).split("-").reverse().join("/");
    }
    return String(value);
  }

  function describeFeature(feature) {
    const layer = layersBySlug.get(feature.layer.source);
    const block = document.createElement("section");
    block.className = "geo-identify-feature";
    const title = document.createElement("h3");
    title.textContent = layer ? layer.name : feature.layer.source;
    const table = document.createElement("table");
    const fields = layer ? layer.attributes : [];
    const shown = fields.filter((field) => field.name in feature.properties);
    for (const field of shown) {
      const row = table.insertRow();
      const key = document.createElement("th");
      key.scope = "row";
      key.textContent = field.label;
      const value = document.createElement("td");
      value.textContent = formatValue(feature.properties[field.name], field.type);
      row.append(key, value);
    }
    block.append(title);
    if (shown.length) block.append(table);
    else {
      const empty = document.createElement("p");
      empty.textContent = ui.noAttributes;
      block.append(empty);
    }
    return block;
  }

  function visibleLayerIds() {
    return layers
      .flatMap(styleLayerIds)
      .map(({ id }) => id)
      .filter((id) => map.getLayer(id) && map.getLayoutProperty(id, "visibility") !== "none");
  }

  let identifyPopup = null;

  function identify(event) {
    const mode = api.draw ? api.draw.getMode() : "simple_select";
    if (mode.startsWith("draw_") || api.drawOwner) return;
    if (api.draw && api.draw.getFeatureIdsAt(event.point).length) return;
    const { x, y } = event.point;
    const box = [[x - CLICK_TOLERANCE_PX, y - CLICK_TOLERANCE_PX], [x + CLICK_TOLERANCE_PX, y + CLICK_TOLERANCE_PX]];
    const found = map.queryRenderedFeatures(box, { layers: visibleLayerIds() });
    // A polygon is drawn as fill and outline, and one feature spans several tiles.
    const seen = new Set();
    const unique = found.filter((feature) => {
      const key = `${feature.layer.source}|${feature.id ?? JSON.stringify(feature.properties)}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
    if (identifyPopup) identifyPopup.remove();
    if (!unique.length) return;
    const content = document.createElement("div");
    content.className = "geo-identify";
    content.dataset.testid = "identify-popup";
    for (const feature of unique.slice(0, MAX_IDENTIFIED)) content.append(describeFeature(feature));
    if (unique.length > MAX_IDENTIFIED) {
      const more = document.createElement("p");
      more.textContent = format(ui.moreFeatures, { count: unique.length - MAX_IDENTIFIED });
      content.append(more);
    }
    identifyPopup = new maplibregl.Popup({ maxWidth: "22rem", className: "geo-identify-popup" })
      .setLngLat(event.lngLat)
      .setDOMContent(content)
      .addTo(map);
  }

  // --- Search ------------------------------------------------------------------------------

  const SEARCH_DELAY_MS = 300;
  const PLACE_ZOOM = 15;
  let searchTimer = null;
  let searchOffset = 0;
  let searchController = null;

  async function runSearch(append) {
    const input = document.getElementById("map-search-input");
    const list = document.getElementById("map-search-results");
    const more = document.getElementById("map-search-more");
    const query = input.value.trim();
    if (!append) searchOffset = 0;
    if (query.length < 2) {
      list.replaceChildren();
      more.hidden = true;
      return;
    }

    if (searchController) searchController.abort();
    searchController = new AbortController();
    const params = new URLSearchParams({ q: query, date: boundaryDate, offset: String(searchOffset) });
    if (!append) list.replaceChildren(Object.assign(document.createElement("li"), { textContent: ui.searching }));
    let data;
    try {
      const response = await fetch(`${config.searchUrl}?${params}`, {
        headers: { Accept: "application/json" },
        signal: searchController.signal,
      });
      data = await response.json();
      if (!response.ok) throw new Error(data.error || String(response.status));
    } catch (error) {
      if (error.name === "AbortError") return;
      list.replaceChildren(Object.assign(document.createElement("li"), { textContent: ui.searchFailed }));
      return;
    }

    if (!append) list.replaceChildren();
    if (!data.results.length && !append) {
      list.append(Object.assign(document.createElement("li"), { textContent: ui.noResults }));
    }
    for (const hit of data.results) list.append(searchResult(hit));
    more.hidden = data.next_offset === null;
    searchOffset = data.next_offset ?? 0;
  }

  function searchResult(hit) {
    const item = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.className = "link geo-search-hit";
    button.dataset.kind = hit.kind;
    if (hit.unit_code) button.dataset.code = hit.unit_code;
    const title = document.createElement("strong");
    title.textContent = hit.label;
    const subtitle = document.createElement("span");
    subtitle.className = "muted";
    subtitle.textContent = hit.subtitle;
    button.append(title, document.createElement("br"), subtitle);
    button.addEventListener("click", () => flyToHit(hit));
    item.append(button);
    return item;
  }

  function flyToHit(hit) {
    const [minX, minY, maxX, maxY] = hit.bbox;
    if (maxX - minX < 1e-6 && maxY - minY < 1e-6) {
      map.flyTo({ center: hit.center, zoom: PLACE_ZOOM });
    } else {
      map.fitBounds([[minX, minY], [maxX, maxY]], { padding: 40, maxZoom: PLACE_ZOOM });
    }
  }

  function bindSearch() {
    const form = document.getElementById("map-search-form");
    const input = document.getElementById("map-search-input");
    const more = document.getElementById("map-search-more");
    if (!form || !input) return;
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      runSearch(false);
    });
    input.addEventListener("input", () => {
      clearTimeout(searchTimer);
      searchTimer = setTimeout(() => runSearch(false), SEARCH_DELAY_MS);
    });
    more.addEventListener("click", () => runSearch(true));
  }

  // --- Measurement -------------------------------------------------------------------------

  async function measureFeature(feature) {
    const output = document.getElementById("map-measure-result");
    const type = feature.geometry.type;
    if (!["LineString", "Polygon", "MultiLineString", "MultiPolygon"].includes(type)) return;
    output.textContent = ui.measuring;
    delete output.dataset.areaM2;
    delete output.dataset.lengthM;

    const layerSelect = document.getElementById("map-measure-layer");
    let data;
    try {
      const response = await fetch(config.measureUrl, {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken() },
        body: JSON.stringify({ geometry: feature.geometry, layer: layerSelect ? layerSelect.value : "" }),
      });
      data = await response.json();
      if (!response.ok) {
        output.textContent = data.error || ui.measureFailed;
        return;
      }
    } catch (error) {
      output.textContent = ui.measureFailed;
      return;
    }

    const lines = [];
    if (data.text.length) lines.push([ui.length, data.text.length]);
    if (data.text.area) lines.push([ui.area, data.text.area], [ui.perimeter, data.text.perimeter]);
    lines.push([ui.crs, data.crs_name]);
    const list = document.createElement("dl");
    for (const [term, value] of lines) {
      list.append(
        Object.assign(document.createElement("dt"), { textContent: term }),
        Object.assign(document.createElement("dd"), { textContent: value }),
      );
    }
    output.replaceChildren(list);
    if (data.area_m2 !== null) output.dataset.areaM2 = String(data.area_m2);
    if (data.length_m !== null) output.dataset.lengthM = String(data.length_m);
    output.dataset.crs = data.crs;
  }

  function onDrawn(event) {
    if (api.drawOwner && api.drawOwner !== "measure") return;
    for (const feature of event.features) measureFeature(feature);
  }

  function setUpDraw() {
    if (typeof MapboxDraw === "undefined") return null;
    // mapbox-gl-draw looks for Mapbox class names; MapLibre uses the same with its prefix.
    const classes = MapboxDraw.constants.classes;
    classes.CANVAS = "maplibregl-canvas";
    classes.CONTROL_BASE = "maplibregl-ctrl";
    classes.CONTROL_PREFIX = "maplibregl-ctrl-";
    classes.CONTROL_GROUP = "maplibregl-ctrl-group";
    classes.ATTRIBUTION = "maplibregl-ctrl-attrib";
    const draw = new MapboxDraw({
      displayControlsDefault: false,
      controls: { line_string: true, polygon: true, trash: true },
    });
    map.addControl(draw, "top-left");
    map.on("draw.create", onDrawn);
    map.on("draw.update", onDrawn);
    const start = (mode) => {
      api.drawOwner = "measure";
      draw.deleteAll();
      draw.changeMode(mode);
    };
    document.getElementById("map-measure-line")?.addEventListener("click", () => start("draw_line_string"));
    document.getElementById("map-measure-area")?.addEventListener("click", () => start("draw_polygon"));
    map.on("draw.modechange", (event) => {
      if (event.mode !== "simple_select" || api.drawOwner !== "measure") return;
      // The click that closes a shape reaches the map's own click handlers after this event;
      // keeping the owner until they have run stops that click from opening the identify popup.
      setTimeout(() => {
        if (api.drawOwner === "measure") api.drawOwner = null;
      }, 0);
    });
    return draw;
  }

  // --- Start -------------------------------------------------------------------------------

  const [west, south, east, north] = config.bounds;
  const map = new maplibregl.Map({
    container: "map",
    style: {
      version: 8,
      sources: {},
      layers: [{ id: "background", type: "background", paint: { "background-color": "#eef2f5" } }],
    },
    bounds: [[west, south], [east, north]],
    fitBoundsOptions: { padding: 20 },
    attributionControl: false,
  });
  api.map = map;
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-right");
  map.addControl(new maplibregl.ScaleControl({ unit: "metric" }), "bottom-left");

  buildLayerTree();
  bindSearch();

  map.on("error", (event) => {
    // A tile that fails to load goes to the status line, not the console. MapLibre 5 treats
    // a 404 tile as empty and reports nothing.
    if (event.sourceId) setStatus(ui.tilesFailed);
    else console.error(event.error);
  });

  map.on("load", () => {
    container.dataset.date = boundaryDate;
    for (const layer of layers) addLayer(layer);
    api.draw = setUpDraw();
    map.on("click", identify);
    for (const id of layers.flatMap(styleLayerIds).map(({ id }) => id)) {
      map.on("mouseenter", id, () => map.getCanvas().classList.add("geo-pointer"));
      map.on("mouseleave", id, () => map.getCanvas().classList.remove("geo-pointer"));
    }

    const dateInput = document.getElementById("map-date-input");
    if (dateInput) {
      dateInput.addEventListener("change", () => setBoundaryDate(dateInput.value));
      for (const button of document.querySelectorAll(".geo-date-presets button[data-date]")) {
        button.addEventListener("click", () => setBoundaryDate(button.dataset.date));
      }
    }

    map.on("idle", () => {
      for (const layer of layers) {
        const ids = styleLayerIds(layer).map(({ id }) => id).filter((id) => map.getLayoutProperty(id, "visibility") !== "none");
        const count = ids.length ? map.queryRenderedFeatures({ layers: ids }).length : 0;
        container.setAttribute(`data-rendered-${layer.slug}`, String(count));
      }
      container.dataset.idle = "true";
    });
    map.on("movestart", () => delete container.dataset.idle);
    map.on("dataloading", () => delete container.dataset.idle);

    api.ready = true;
    container.dataset.ready = "true";
    for (const callback of readyCallbacks.splice(0)) callback(api);
    document.dispatchEvent(new CustomEvent("tinhso:map-ready", { bubbles: true, detail: api }));
  });
})();
