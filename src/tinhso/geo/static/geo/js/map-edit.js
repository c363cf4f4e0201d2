// Editing map features in the browser: add a feature (draw, then fill the attribute form),
// select one on the map, move or reshape it, change its attributes, delete it, open its history.
//
// Plugs into the map page through window.tinhsoMap (see map.js): it waits for whenReady or the
// "tinhso:map-ready" event, puts its tools into <div id="map-tools">, and draws with the page's
// MapboxDraw instance while tinhsoMap.drawOwner is "edit". It does nothing when the user may edit
// no layer: either every layer of the page's list has can_edit false, or (without that flag)
// GET /map/features/editable-layers/ returns an empty list.
//
// Every change goes to the JSON endpoints under /map/features/ with the page's CSRF token and the
// feature version that was loaded; a 409 answer means someone else saved first.
"use strict";

(function () {
  const script = document.currentScript;
  const FEATURES_URL = (script && script.dataset.featuresUrl) || "/map/features/";
  const OWNER = "edit";
  const CLICK_TOLERANCE_PX = 5;

  const TEXTS = {
    vi: {
      heading: "Biên tập đối tượng",
      layer: "Lớp bản đồ",
      add: "Thêm đối tượng",
      addPoint: "Thêm điểm",
      addLine: "Thêm đường",
      addPolygon: "Thêm vùng",
      select: "Chọn đối tượng trên bản đồ",
      selectHint: "Bấm vào một đối tượng của lớp đã chọn để biên tập.",
      drawPoint: "Bấm lên bản đồ để đặt điểm.",
      drawLine: "Bấm để thêm các đỉnh; bấm đúp để kết thúc đường.",
      drawPolygon: "Bấm để thêm các đỉnh; bấm đúp để khép vùng.",
      nothingHere: "Không có đối tượng nào của lớp này tại vị trí đã bấm.",
      loading: "Đang tải đối tượng…",
      newFeature: "Đối tượng mới",
      feature: "Đối tượng số %(id)s (phiên bản %(version)s)",
      reshape: "Di chuyển / sửa hình",
      reshapeHint: "Kéo đối tượng hoặc các đỉnh của nó, rồi bấm Lưu.",
      comment: "Ghi chú thay đổi",
      save: "Lưu",
      cancel: "Hủy",
      delete: "Xóa",
      history: "Lịch sử biên tập",
      confirmDelete: "Xóa đối tượng số %(id)s của lớp “%(layer)s”? Lịch sử biên tập vẫn được lưu.",
      saving: "Đang lưu…",
      saved: "Đã lưu.",
      unchanged: "Không có gì thay đổi.",
      deleted: "Đã xóa đối tượng.",
      conflict: "Tải lại đối tượng",
      failed: "Không lưu được: %(error)s",
      networkError: "Không kết nối được với máy chủ; hãy thử lại.",
      required: "bắt buộc",
      yes: "Có",
      no: "Không",
      empty: "—",
    },
    en: {
      heading: "Edit features",
      layer: "Map layer",
      add: "Add a feature",
      addPoint: "Add a point",
      addLine: "Add a line",
      addPolygon: "Add a polygon",
      select: "Select a feature on the map",
      selectHint: "Click a feature of the chosen layer to edit it.",
      drawPoint: "Click the map to place the point.",
      drawLine: "Click to add vertices; double-click to finish the line.",
      drawPolygon: "Click to add vertices; double-click to close the polygon.",
      nothingHere: "No feature of this layer where you clicked.",
      loading: "Loading the feature…",
      newFeature: "New feature",
      feature: "Feature %(id)s (version %(version)s)",
      reshape: "Move / reshape",
      reshapeHint: "Drag the feature or its vertices, then press Save.",
      comment: "Comment on the change",
      save: "Save",
      cancel: "Cancel",
      delete: "Delete",
      history: "Edit history",
      confirmDelete: "Delete feature %(id)s of the layer “%(layer)s”? Its edit history is kept.",
      saving: "Saving…",
      saved: "Saved.",
      unchanged: "Nothing changed.",
      deleted: "Feature deleted.",
      conflict: "Reload the feature",
      failed: "Not saved: %(error)s",
      networkError: "The server cannot be reached; try again.",
      required: "required",
      yes: "Yes",
      no: "No",
      empty: "—",
    },
  };
  const { language, format, element, csrfToken } = window.tinhsoDom;
  const t = TEXTS[language];


  async function requestJson(method, url, body) {
    const options = { method: method, headers: { Accept: "application/json" }, credentials: "same-origin" };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    if (method !== "GET") options.headers["X-CSRFToken"] = csrfToken();
    const response = await fetch(url, options);
    let data = {};
    try {
      data = await response.json();
    } catch (error) {
      data = { error: `HTTP ${response.status}` };
    }
    return { ok: response.ok, status: response.status, data: data };
  }

  // The page may not link this tool's stylesheet; it sits next to this script's folder.
  function linkStylesheet() {
    if (!script || document.querySelector("link[data-geo-map-edit]")) return;
    const href = new URL("../css/map-edit.css", script.src).href;
    document.head.append(element("link", { rel: "stylesheet", href: href, "data-geo-map-edit": true }));
  }

  let started = false;

  function start(api) {
    if (started || !api || !api.map) return;
    started = true;
    const pageLayers = Array.isArray(api.layers) ? api.layers : [];
    const flagged = pageLayers.some((layer) => layer && "can_edit" in layer);
    if (flagged && !pageLayers.some((layer) => layer.can_edit)) return;
    requestJson("GET", `${FEATURES_URL}editable-layers/`)
      .then((result) => {
        if (result.ok && Array.isArray(result.data.layers) && result.data.layers.length) {
          new Editor(api, result.data.layers).build();
        }
      })
      .catch(() => {
        // No editing tools without the list; the rest of the map keeps working.
      });
  }

  class Editor {
    constructor(api, layers) {
      this.api = api;
      this.map = api.map;
      this.layers = layers;
      this.layer = layers[0];
      this.mode = null; // "add", "select" or "edit"
      this.feature = null; // the feature loaded with GET while editing
      this.drawnId = null; // id of the geometry in MapboxDraw
      this.geometryChanged = false;
    }

    get draw() {
      return this.api.draw;
    }

    build() {
      const tools = document.getElementById("map-tools");
      if (!tools) return;
      linkStylesheet();
      this.select = element("select", { id: "map-edit-layer", "data-testid": "edit-layer" });
      for (const layer of this.layers) {
        this.select.append(element("option", { value: layer.slug, text: layer.name }));
      }
      this.select.addEventListener("change", () => {
        this.layer = this.layers.find((layer) => layer.slug === this.select.value) || this.layers[0];
        this.reset();
        this.renderAddButtons();
      });
      this.addButtons = element("div", { className: "geo-edit-buttons" });
      const selectButton = element("button", { type: "button", "data-testid": "edit-select", text: t.select });
      selectButton.addEventListener("click", () => this.startSelect());
      this.status = element("p", { className: "geo-edit-status", "aria-live": "polite", "data-testid": "edit-status" });
      this.panel = element("div", { className: "geo-edit-panel", "data-testid": "edit-panel" });
      const section = element("section", { className: "geo-edit", "aria-labelledby": "map-edit-title" }, [
        element("h2", { id: "map-edit-title", text: t.heading }),
        element("label", { for: "map-edit-layer", text: t.layer }),
        this.select,
        this.addButtons,
        element("div", { className: "geo-edit-buttons" }, [selectButton]),
        this.status,
        this.panel,
      ]);
      tools.append(section);
      this.renderAddButtons();

      this.map.on("draw.create", (event) => this.onDrawCreate(event));
      this.map.on("draw.update", () => {
        if (this.api.drawOwner === OWNER && this.mode === "edit") this.geometryChanged = true;
      });
      this.map.on("click", (event) => this.onMapClick(event));
    }

    renderAddButtons() {
      const modes = {
        POINT: [["draw_point", t.addPoint]],
        LINESTRING: [["draw_line_string", t.addLine]],
        POLYGON: [["draw_polygon", t.addPolygon]],
        GEOMETRY: [["draw_point", t.addPoint], ["draw_line_string", t.addLine], ["draw_polygon", t.addPolygon]],
      }[this.layer.geometry_type] || [["draw_polygon", t.addPolygon]];
      this.addButtons.replaceChildren();
      for (const [mode, label] of modes) {
        const button = element("button", { type: "button", "data-testid": `edit-add-${mode}`, text: modes.length === 1 ? t.add : label });
        button.addEventListener("click", () => this.startAdd(mode));
        this.addButtons.append(button);
      }
    }

    setStatus(text) {
      this.status.textContent = text;
    }

    claimDraw() {
      if (!this.draw) return false;
      this.api.drawOwner = OWNER;
      this.draw.deleteAll();
      return true;
    }

    reset() {
      if (this.api.drawOwner === OWNER) {
        if (this.draw) {
          this.draw.deleteAll();
          this.draw.changeMode("simple_select");
        }
        this.api.drawOwner = null;
      }
      this.mode = null;
      this.feature = null;
      this.drawnId = null;
      this.geometryChanged = false;
      this.panel.replaceChildren();
      this.setStatus("");
    }

    // --- Adding ----------------------------------------------------------------------------

    startAdd(mode) {
      this.reset();
      if (!this.claimDraw()) return;
      this.mode = "add";
      this.draw.changeMode(mode);
      this.setStatus({ draw_point: t.drawPoint, draw_line_string: t.drawLine, draw_polygon: t.drawPolygon }[mode]);
    }

    onDrawCreate(event) {
      if (this.api.drawOwner !== OWNER || this.mode !== "add" || !event.features.length) return;
      this.drawnId = event.features[0].id;
      this.setStatus("");
      this.showForm(null);
    }

    // --- Selecting and loading -------------------------------------------------------------

    startSelect() {
      this.reset();
      this.api.drawOwner = OWNER;
      this.mode = "select";
      this.setStatus(t.selectHint);
    }

    styleLayerIds() {
      const style = this.map.getStyle();
      return (style && style.layers ? style.layers : [])
        .filter((layer) => layer["source-layer"] === this.layer.slug || layer.source === this.layer.slug)
        .map((layer) => layer.id);
    }

    onMapClick(event) {
      if (this.mode !== "select" || this.api.drawOwner !== OWNER) return;
      const { x, y } = event.point;
      const box = [[x - CLICK_TOLERANCE_PX, y - CLICK_TOLERANCE_PX], [x + CLICK_TOLERANCE_PX, y + CLICK_TOLERANCE_PX]];
      const layers = this.styleLayerIds();
      const found = layers.length ? this.map.queryRenderedFeatures(box, { layers: layers }) : [];
      const hit = found.find((feature) => featureId(feature) !== null);
      if (!hit) {
        this.setStatus(t.nothingHere);
        return;
      }
      this.load(featureId(hit));
    }

    async load(id) {
      this.setStatus(t.loading);
      let result;
      try {
        result = await requestJson("GET", `${FEATURES_URL}${this.layer.slug}/${id}/`);
      } catch (error) {
        this.setStatus(t.networkError);
        return;
      }
      if (!result.ok) {
        this.setStatus(result.data.error || `HTTP ${result.status}`);
        return;
      }
      if (this.draw) this.draw.deleteAll();
      this.mode = "edit";
      this.feature = result.data;
      this.drawnId = null;
      this.geometryChanged = false;
      this.setStatus("");
      this.showForm(result.data);
    }

    startReshape() {
      if (!this.feature || !this.claimDraw()) return;
      const ids = this.draw.add({ type: "Feature", properties: {}, geometry: this.feature.geometry });
      this.drawnId = ids[0];
      // direct_select moves vertices of lines and polygons; a point is dragged in simple_select.
      if (this.feature.geometry.type === "Point") {
        this.draw.changeMode("simple_select", { featureIds: [this.drawnId] });
      } else {
        this.draw.changeMode("direct_select", { featureId: this.drawnId });
      }
      this.setStatus(t.reshapeHint);
    }

    // --- The attribute form ----------------------------------------------------------------

    showForm(feature) {
      const schema = feature ? feature.layer.schema : this.layer.schema;
      const values = feature ? feature.properties : {};
      const form = element("form", { className: "geo-edit-form", "data-testid": "edit-form", novalidate: true });
      form.append(element("h3", {
        text: feature ? format(t.feature, { id: feature.id, version: feature.version }) : t.newFeature,
      }));
      this.inputs = new Map();
      this.errors = new Map();
      for (const field of schema) form.append(this.fieldRow(field, values[field.name]));
      if (feature) {
        const comment = element("input", { type: "text", name: "comment", id: "map-edit-comment", maxlength: 500 });
        form.append(element("div", { className: "geo-edit-field" }, [
          element("label", { for: "map-edit-comment", text: t.comment }), comment,
        ]));
        this.commentInput = comment;
      } else {
        this.commentInput = null;
      }
      this.formError = element("p", { className: "geo-edit-error", role: "alert" });
      form.append(this.formError);

      const buttons = element("div", { className: "geo-edit-buttons" });
      buttons.append(element("button", { type: "submit", "data-testid": "edit-save", text: t.save }));
      if (feature) {
        const reshape = element("button", { type: "button", "data-testid": "edit-reshape", text: t.reshape });
        reshape.addEventListener("click", () => this.startReshape());
        const remove = element("button", { type: "button", className: "danger", "data-testid": "edit-delete", text: t.delete });
        remove.addEventListener("click", () => this.remove());
        const history = element("a", {
          href: feature.urls.history, target: "_blank", rel: "noopener", "data-testid": "edit-history", text: t.history,
        });
        buttons.append(reshape, remove, history);
      }
      const cancel = element("button", { type: "button", className: "link", text: t.cancel });
      cancel.addEventListener("click", () => this.reset());
      buttons.append(cancel);
      form.append(buttons);
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        this.save();
      });
      this.panel.replaceChildren(form);
    }

    fieldRow(field, value) {
      const id = `map-edit-field-${field.name}`;
      const label = element("label", { for: id, text: field.label });
      if (field.required) label.append(element("abbr", { title: t.required, text: " *" }));
      let input;
      if (field.choices && field.choices.length) {
        input = element("select", { id: id, name: field.name });
        input.append(element("option", { value: "", text: t.empty }));
        for (const choice of field.choices) input.append(element("option", { value: String(choice), text: String(choice) }));
        input.value = value === null || value === undefined ? "" : String(value);
      } else if (field.type === "boolean") {
        input = element("select", { id: id, name: field.name });
        input.append(
          element("option", { value: "", text: t.empty }),
          element("option", { value: "true", text: t.yes }),
          element("option", { value: "false", text: t.no }),
        );
        input.value = "";
        if (value === true) input.value = "true";
        if (value === false) input.value = "false";
      } else {
        const type = { integer: "number", number: "number", date: "date" }[field.type] || "text";
        input = element("input", { id: id, name: field.name, type: type, step: field.type === "number" ? "any" : null });
        input.value = value === null || value === undefined ? "" : String(value);
      }
      if (field.required) input.required = true;
      const error = element("span", { className: "geo-edit-error", id: `${id}-error`, role: "alert" });
      input.setAttribute("aria-describedby", error.id);
      this.inputs.set(field.name, { input: input, field: field });
      this.errors.set(field.name, error);
      return element("div", { className: "geo-edit-field", "data-field": field.name }, [label, input, error]);
    }

    formProperties() {
      const properties = {};
      for (const [name, { input, field }] of this.inputs) {
        const raw = input.value.trim();
        if (raw === "") properties[name] = null;
        else if (field.type === "boolean") properties[name] = raw === "true";
        else properties[name] = raw;
      }
      return properties;
    }

    clearErrors() {
      for (const error of this.errors.values()) error.textContent = "";
      this.formError.textContent = "";
      this.formError.replaceChildren();
    }

    showError(result) {
      const message = result.data.error || `HTTP ${result.status}`;
      const target = this.errors.get(result.data.field);
      if (target) {
        target.textContent = message;
        this.inputs.get(result.data.field).input.focus();
      } else {
        this.formError.textContent = format(t.failed, { error: message });
      }
      if (result.status === 409 && this.feature) {
        const reload = element("button", { type: "button", className: "link", text: t.conflict });
        reload.addEventListener("click", () => this.load(this.feature.id));
        this.formError.append(" ", reload);
      }
      this.setStatus("");
    }

    drawnGeometry() {
      if (!this.draw || this.drawnId === null) return null;
      const drawn = this.draw.get(this.drawnId);
      return drawn ? drawn.geometry : null;
    }

    async save() {
      this.clearErrors();
      this.setStatus(t.saving);
      let result;
      try {
        if (this.mode === "add") {
          const geometry = this.drawnGeometry();
          result = await requestJson("POST", this.layer.urls.features, { geometry: geometry, properties: this.formProperties() });
        } else if (this.feature) {
          const body = { properties: this.formProperties(), version: this.feature.version };
          if (this.geometryChanged) body.geometry = this.drawnGeometry();
          if (this.commentInput && this.commentInput.value.trim()) body.comment = this.commentInput.value.trim();
          result = await requestJson("PATCH", this.feature.urls.self, body);
        } else {
          return;
        }
      } catch (error) {
        this.setStatus(t.networkError);
        return;
      }
      if (!result.ok) {
        this.showError(result);
        return;
      }
      const unchanged = result.data.changed === false;
      refreshLayer(this.map, this.layer.slug);
      if (this.draw) this.draw.deleteAll();
      this.api.drawOwner = null;
      this.mode = "edit";
      this.feature = result.data;
      this.drawnId = null;
      this.geometryChanged = false;
      this.showForm(result.data);
      this.setStatus(unchanged ? t.unchanged : t.saved);
    }

    async remove() {
      if (!this.feature) return;
      const question = format(t.confirmDelete, { id: this.feature.id, layer: this.layer.name });
      if (!window.confirm(question)) return;
      this.clearErrors();
      let result;
      try {
        const body = { version: this.feature.version };
        if (this.commentInput && this.commentInput.value.trim()) body.comment = this.commentInput.value.trim();
        result = await requestJson("DELETE", this.feature.urls.self, body);
      } catch (error) {
        this.setStatus(t.networkError);
        return;
      }
      if (!result.ok) {
        this.showError(result);
        return;
      }
      refreshLayer(this.map, this.layer.slug);
      const history = result.data.history;
      this.reset();
      this.setStatus(t.deleted);
      if (history) {
        this.status.append(" ", element("a", { href: history, target: "_blank", rel: "noopener", text: t.history }));
      }
    }
  }

  // The database id of a tile feature: the MVT feature id, else an "id" attribute.
  function featureId(feature) {
    if (feature.id !== undefined && feature.id !== null) return feature.id;
    const properties = feature.properties || {};
    return properties.id ?? properties.pk ?? null;
  }

  // Tiles are cached by layer version; a new query parameter makes MapLibre fetch them again.
  function refreshLayer(map, slug) {
    const source = map.getSource(slug);
    if (!source || typeof source.setTiles !== "function") return;
    const tiles = source.tiles || (source._options && source._options.tiles) || [];
    if (!tiles.length) return;
    const stamp = String(Date.now());
    source.setTiles(tiles.map((url) => {
      const parsed = new URL(url, window.location.origin);
      parsed.searchParams.set("v", stamp);
      // MapLibre fills {z}/{x}/{y}; URL() percent-encodes the braces, so put them back.
      return parsed.href.replace(/%7B/gi, "{").replace(/%7D/gi, "}");
    }));
  }

  window.tinhsoMapEdit = { refreshLayer: refreshLayer };

  if (window.tinhsoMap && typeof window.tinhsoMap.whenReady === "function") {
    window.tinhsoMap.whenReady(start);
  } else {
    document.addEventListener("tinhso:map-ready", (event) => start(event.detail), { once: true });
  }
})();
