// Export of a selection and printing of the map view, on the map page (see map.js).
//
// Export: the user picks a layer of the page's layer list and a format, and either uses the
// current view or draws an area (MapboxDraw, while tinhsoMap.drawOwner is "output"). The
// script POSTs to /map/export/ and saves the returned .geojson or .zip. Personal attributes come only
// when the box is ticked and the server allows it for this reader; the server audits the export.
//
// Print: the user gives a title; the script takes the map canvas as a PNG, with the metres per
// pixel at the centre latitude, zoom, centre, bearing and the visible layers, POSTs it to
// /map/print/ and saves the returned PDF. The canvas is read inside a "render" event, which
// works without the preserveDrawingBuffer context attribute.
"use strict";

(function () {
  const script = document.currentScript;
  const EXPORT_URL = (script && script.dataset.exportUrl) || "/map/export/";
  const PRINT_URL = (script && script.dataset.printUrl) || "/map/print/";
  const OWNER = "output";
  // Earth's equatorial circumference in metres (WGS 84) and MapLibre's tile size in pixels.
  const EARTH_CIRCUMFERENCE_M = 40075016.686;
  const TILE_SIZE_PX = 512;

  const TEXTS = {
    vi: {
      heading: "Xuất dữ liệu và in bản đồ",
      layer: "Lớp bản đồ",
      format: "Định dạng",
      area: "Vùng chọn",
      view: "Khung nhìn hiện tại",
      drawn: "Vùng đã vẽ",
      drawArea: "Vẽ vùng chọn",
      drawHint: "Bấm để thêm các đỉnh; bấm đúp để khép vùng.",
      areaReady: "Đã có vùng chọn.",
      areaMissing: "Chưa có vùng đã vẽ trên bản đồ; hãy bấm “Vẽ vùng chọn” hoặc chọn khung nhìn hiện tại.",
      personal: "Kèm thông tin cá nhân (chỉ người có quyền; được ghi nhật ký)",
      export: "Xuất dữ liệu",
      exporting: "Đang xuất…",
      exported: "Đã xuất %(count)s đối tượng.",
      print: "In bản đồ ra PDF",
      titlePrompt: "Tiêu đề bản đồ in:",
      defaultTitle: "Bản đồ số tỉnh Phú Thọ",
      printing: "Đang tạo tệp PDF…",
      printed: "Đã tạo tệp PDF.",
      noLayer: "Không có lớp bản đồ nào để xuất.",
      failed: "Không thực hiện được: %(error)s",
      networkError: "Không kết nối được với máy chủ; hãy thử lại.",
    },
    en: {
      heading: "Export and print",
      layer: "Map layer",
      format: "Format",
      area: "Selection",
      view: "Current view",
      drawn: "Drawn area",
      drawArea: "Draw the area",
      drawHint: "Click to add vertices; double-click to close the area.",
      areaReady: "Area selected.",
      areaMissing: "No drawn area is on the map; press “Draw the area” or choose the current view.",
      personal: "Include personal data (authorised readers only; logged)",
      export: "Export",
      exporting: "Exporting…",
      exported: "Exported %(count)s features.",
      print: "Print the map to PDF",
      titlePrompt: "Title of the printed map:",
      defaultTitle: "Digital map of Phú Thọ province",
      printing: "Making the PDF…",
      printed: "PDF ready.",
      noLayer: "No map layer to export.",
      failed: "Failed: %(error)s",
      networkError: "The server cannot be reached; try again.",
    },
  };
  const { language, format, element, csrfToken } = window.tinhsoDom;
  const t = TEXTS[language];


  async function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify(body),
    });
  }

  async function errorOf(response) {
    try {
      const data = await response.json();
      return data.error || `HTTP ${response.status}`;
    } catch (error) {
      return `HTTP ${response.status}`;
    }
  }

  // Save a response body as a file, with the name from its Content-Disposition.
  async function saveFile(response, fallbackName) {
    const blob = await response.blob();
    const disposition = response.headers.get("Content-Disposition") || "";
    const match = /filename="([^"]+)"/.exec(disposition);
    const link = element("a", { href: URL.createObjectURL(blob), download: match ? match[1] : fallbackName });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 60000);
  }

  // The map canvas as a PNG data URL, read right after a frame is drawn.
  function captureCanvas(map) {
    return new Promise((resolve) => {
      map.once("render", () => resolve(map.getCanvas().toDataURL("image/png")));
      map.triggerRepaint();
    });
  }

  function metresPerPixel(map) {
    const latitude = map.getCenter().lat;
    return (EARTH_CIRCUMFERENCE_M * Math.cos((latitude * Math.PI) / 180)) / (TILE_SIZE_PX * 2 ** map.getZoom());
  }

  function viewPolygon(map) {
    const bounds = map.getBounds();
    const [west, south, east, north] = [bounds.getWest(), bounds.getSouth(), bounds.getEast(), bounds.getNorth()];
    return {
      type: "Polygon",
      coordinates: [[[west, south], [east, south], [east, north], [west, north], [west, south]]],
    };
  }

  // Slugs of the page's layers that have a visible style layer, in the page's layer order.
  function visibleLayers(map, layers) {
    const style = map.getStyle();
    const shown = new Set();
    for (const layer of style && style.layers ? style.layers : []) {
      const visibility = layer.layout && layer.layout.visibility;
      if (visibility === "none") continue;
      if (layer["source-layer"]) shown.add(layer["source-layer"]);
    }
    return layers.map((layer) => layer.slug).filter((slug) => shown.has(slug));
  }

  // The page may not link the tools' stylesheet; it sits next to this script's folder.
  function linkStylesheet() {
    if (!script || document.querySelector("link[data-geo-map-edit]")) return;
    const href = new URL("../css/map-edit.css", script.src).href;
    document.head.append(element("link", { rel: "stylesheet", href: href, "data-geo-map-edit": true }));
  }

  let started = false;

  function start(api) {
    if (started || !api || !api.map) return;
    started = true;
    const tools = document.getElementById("map-tools");
    if (!tools) return;
    linkStylesheet();
    const layers = (Array.isArray(api.layers) ? api.layers : []).filter((layer) => layer && layer.slug);
    const map = api.map;
    // MapboxDraw id of the export area. The area stays on the map after an export, so the
    // same area can be exported in another format. Each export sends its current shape.
    let drawnId = null;

    // Return the drawn area as GeoJSON, or null once another tool has cleared the drawing.
    function drawnArea() {
      if (!api.draw || drawnId === null) return null;
      const feature = api.draw.get(drawnId);
      return feature ? feature.geometry : null;
    }

    const status = element("p", { className: "geo-output-status", "aria-live": "polite", "data-testid": "output-status" });
    const setStatus = (text) => {
      status.textContent = text;
    };

    const layerSelect = element("select", { id: "map-export-layer", "data-testid": "export-layer" });
    for (const layer of layers) layerSelect.append(element("option", { value: layer.slug, text: layer.name }));
    const formatSelect = element("select", { id: "map-export-format", "data-testid": "export-format" }, [
      element("option", { value: "geojson", text: "GeoJSON" }),
      element("option", { value: "shapefile", text: "Shapefile (.zip)" }),
    ]);
    const areaSelect = element("select", { id: "map-export-area", "data-testid": "export-area" }, [
      element("option", { value: "view", text: t.view }),
      element("option", { value: "drawn", text: t.drawn }),
    ]);
    const drawButton = element("button", { type: "button", "data-testid": "export-draw", text: t.drawArea });
    const personal = element("input", { type: "checkbox", id: "map-export-personal", "data-testid": "export-personal" });
    const exportButton = element("button", { type: "button", "data-testid": "export-run", text: t.export });
    const printButton = element("button", { type: "button", "data-testid": "print-run", text: t.print });

    drawButton.addEventListener("click", () => {
      const draw = api.draw;
      if (!draw) return;
      api.drawOwner = OWNER;
      draw.deleteAll();
      draw.changeMode("draw_polygon");
      setStatus(t.drawHint);
    });
    map.on("draw.create", (event) => {
      if (api.drawOwner !== OWNER || !event.features.length) return;
      drawnId = event.features[0].id;
      areaSelect.value = "drawn";
      api.drawOwner = null;
      setStatus(t.areaReady);
    });

    areaSelect.addEventListener("change", () => {
      if (areaSelect.value !== "view" || drawnId === null) return;
      if (api.draw && api.drawOwner === null && drawnArea()) api.draw.delete(drawnId);
      drawnId = null;
    });

    exportButton.addEventListener("click", async () => {
      if (!layerSelect.value) {
        setStatus(t.noLayer);
        return;
      }
      // "Drawn area" without an area on the map must not fall back to the view silently.
      const selection = areaSelect.value === "drawn" ? drawnArea() : viewPolygon(map);
      if (!selection) {
        setStatus(t.areaMissing);
        return;
      }
      const container = document.getElementById("map");
      const body = {
        layer: layerSelect.value,
        format: formatSelect.value,
        selection: selection,
      };
      if (container && container.dataset.date) body.date = container.dataset.date;
      if (personal.checked) body.include_personal = 1;
      setStatus(t.exporting);
      try {
        const response = await post(EXPORT_URL, body);
        if (!response.ok) {
          setStatus(format(t.failed, { error: await errorOf(response) }));
          return;
        }
        const count = response.headers.get("X-Feature-Count") || "?";
        await saveFile(response, `${body.layer}.${body.format === "geojson" ? "geojson" : "zip"}`);
        setStatus(format(t.exported, { count: count }));
      } catch (error) {
        setStatus(t.networkError);
      }
    });

    printButton.addEventListener("click", async () => {
      const title = window.prompt(t.titlePrompt, t.defaultTitle);
      if (title === null) return;
      setStatus(t.printing);
      const canvas = map.getCanvas();
      const centre = map.getCenter();
      try {
        const image = await captureCanvas(map);
        const response = await post(PRINT_URL, {
          image: image,
          title: title,
          zoom: map.getZoom(),
          center: [centre.lng, centre.lat],
          bearing: map.getBearing(),
          metres_per_pixel: metresPerPixel(map),
          pixel_ratio: canvas.clientWidth ? canvas.width / canvas.clientWidth : window.devicePixelRatio || 1,
          layers: visibleLayers(map, layers),
        });
        if (!response.ok) {
          setStatus(format(t.failed, { error: await errorOf(response) }));
          return;
        }
        await saveFile(response, "ban-do.pdf");
        setStatus(t.printed);
      } catch (error) {
        setStatus(t.networkError);
      }
    });

    const children = [element("h2", { text: t.heading })];
    if (layers.length) {
      children.push(
        element("label", { for: "map-export-layer", text: t.layer }), layerSelect,
        element("label", { for: "map-export-format", text: t.format }), formatSelect,
        element("label", { for: "map-export-area", text: t.area }), areaSelect,
        element("div", { className: "geo-edit-buttons" }, [drawButton]),
        element("label", { className: "geo-output-personal" }, [personal, ` ${t.personal}`]),
        element("div", { className: "geo-edit-buttons" }, [exportButton]),
      );
    }
    children.push(element("div", { className: "geo-edit-buttons" }, [printButton]), status);
    tools.append(element("section", { className: "geo-output", "data-testid": "map-output" }, children));
  }

  if (window.tinhsoMap && typeof window.tinhsoMap.whenReady === "function") {
    window.tinhsoMap.whenReady(start);
  } else {
    document.addEventListener("tinhso:map-ready", (event) => start(event.detail), { once: true });
  }
})();
