// DOM helpers shared by the scripts of the map page (map.js, map-edit.js, map-output.js).
// Loaded first, as a deferred script, so they run in document order after it.
(function () {
  "use strict";

  // "vi" unless the page is in English; each script keeps its own texts for both.
  const language = (document.documentElement.lang || "vi").toLowerCase().startsWith("en") ? "en" : "vi";

  // Fills %(name)s placeholders, as Django's translations write them.
  function format(template, values) {
    return template.replace(/%\((\w+)\)s/g, (match, name) => String(values[name] ?? match));
  }

  // Creates an element without innerHTML: "text" sets textContent, "className" the class,
  // true an empty attribute, and null, undefined or false leave the attribute out.
  function element(name, attributes, children) {
    const node = document.createElement(name);
    for (const [key, value] of Object.entries(attributes || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "text") node.textContent = value;
      else if (key === "className") node.className = value;
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children || []) node.append(child);
    return node;
  }

  // The page renders one CSRF token outside the tool panels, which the scripts rebuild.
  function csrfToken() {
    const field = document.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  window.tinhsoDom = { language, format, element, csrfToken };
})();
