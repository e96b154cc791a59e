// Jaring console: the map of a form's submissions (Leaflet, with clustered markers).
// The basemap is this server's own outline of Indonesia's provinces; OpenStreetMap tiles
// are an optional layer, off until the reader switches it on, so the page asks nothing of
// another host by itself. Every text from a submission goes in as text (textContent).
(function () {
  "use strict";

  var element = document.getElementById("map");
  if (!element || !window.L || !L.markerClusterGroup) return;

  var texts = JSON.parse(document.getElementById("map-texts").textContent);
  var message = document.getElementById("map-message");
  var legendBox = document.getElementById("map-legend");
  var coloured = element.getAttribute("data-coloured") === "yes";
  var PALETTE = 10; // .map-pin-0 … .map-pin-9 in console.css
  var INDONESIA = L.latLngBounds([-11.2, 94.8], [6.4, 141.1]);
  var language = document.documentElement.lang || "id";

  var still = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  var map = L.map(element, {
    fadeAnimation: !still,
    zoomAnimation: !still,
    markerZoomAnimation: !still,
    maxZoom: 18,
    minZoom: 3,
    zoomSnap: 0.5,
    zoomControl: false,
    worldCopyJump: true,
  });
  L.control.zoom({ zoomInTitle: texts.zoomIn, zoomOutTitle: texts.zoomOut }).addTo(map);
  map.fitBounds(INDONESIA);
  map.attributionControl.setPrefix(false);

  // The offline basemap: province outlines on a light fill, drawn on one canvas.
  var withTiles = false;
  var provinces = L.geoJSON(null, {
    interactive: false,
    renderer: L.canvas({ padding: 0.5 }),
    attribution: "Natural Earth",
    style: function (feature) {
      var code = (feature.properties && feature.properties.iso_3166_2) || "";
      var home = code.indexOf("ID-") === 0;
      return {
        color: home ? "#8c8f96" : "#b5b8bd",
        weight: home ? 1 : 0.6,
        fillColor: home ? "#fbf8f1" : "#eeece7",
        fillOpacity: withTiles ? 0 : 1,
      };
    },
  }).addTo(map);
  fetch(element.getAttribute("data-basemap"), { credentials: "same-origin" })
    .then(function (response) { return response.ok ? response.json() : null; })
    .then(function (data) { if (data) provinces.addData(data); })
    .catch(function () { /* the points still show on the plain background */ });

  var tiles = L.tileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png", {
    maxZoom: 19,
    attribution:
      '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors',
  });
  var overlays = {};
  overlays[texts.provinces] = provinces;
  overlays[texts.osm] = tiles;
  var layers = L.control.layers(null, overlays, { collapsed: true }).addTo(map);
  var toggle = layers.getContainer().querySelector(".leaflet-control-layers-toggle");
  if (toggle) {
    toggle.title = texts.layers;
    toggle.setAttribute("aria-label", texts.layers);
  }
  map.on("overlayadd overlayremove", function (event) {
    if (event.layer !== tiles) return;
    withTiles = event.type === "overlayadd";
    provinces.setStyle(provinces.options.style);
  });

  // The points.
  var clusters = L.markerClusterGroup({
    animate: !still,
    chunkedLoading: true,
    showCoverageOnHover: false,
    maxClusterRadius: 45,
    spiderfyDistanceMultiplier: 1.4,
    iconCreateFunction: function (cluster) {
      var count = cluster.getChildCount();
      var size = count < 10 ? "small" : count < 100 ? "medium" : "large";
      return L.divIcon({
        html: "<span>" + Number(count).toLocaleString(language) + "</span>",
        className: "map-cluster map-cluster-" + size,
        iconSize: L.point(40, 40),
      });
    },
  }).addTo(map);

  var icons = {};
  function icon(className) {
    if (!icons[className]) {
      icons[className] = L.divIcon({
        className: "map-pin " + className,
        iconSize: L.point(18, 18),
        popupAnchor: L.point(0, -8),
      });
    }
    return icons[className];
  }

  function fill(template, id, file) {
    var out = template.replace("__ID__", encodeURIComponent(id));
    return file === undefined ? out : out.replace("__FILE__", encodeURIComponent(file));
  }

  function show(text) {
    message.textContent = text || "";
    message.hidden = !text;
  }

  function popup(feature, value) {
    var props = feature.properties || {};
    var name = props.name || texts.noName;
    var box = document.createElement("div");
    box.className = "map-popup";
    if (props.photo) {
      var photo = document.createElement("img");
      photo.src = fill(element.getAttribute("data-thumbnail"), feature.id, props.photo);
      photo.alt = texts.photoOf.replace("{name}", name);
      photo.loading = "lazy";
      photo.width = 240;
      photo.height = 160;
      box.appendChild(photo);
    }
    var title = document.createElement("strong");
    title.className = "map-popup-name";
    title.textContent = name;
    box.appendChild(title);
    if (value) {
      var line = document.createElement("p");
      line.className = "map-popup-value";
      var swatch = document.createElement("span");
      swatch.className = "map-swatch " + value.className;
      swatch.setAttribute("aria-hidden", "true");
      line.appendChild(swatch);
      line.appendChild(document.createTextNode(texts.colourQuestion + ": " + value.label));
      box.appendChild(line);
    }
    var link = document.createElement("a");
    link.href = fill(element.getAttribute("data-submission"), feature.id);
    link.textContent = texts.open;
    link.className = "map-popup-link";
    box.appendChild(link);
    return box;
  }

  // value -> {className, label, count}; a Map keeps the legend's order for any value.
  function legend(entries) {
    var values = new Map();
    entries.forEach(function (entry, index) {
      values.set(entry.value === null ? "" : entry.value, {
        className: entry.value === null ? "map-pin-none" : "map-pin-" + (index % PALETTE),
        label: entry.value === null ? texts.noAnswer : entry.label,
        count: entry.count,
      });
    });
    if (legendBox && entries.length) {
      var list = legendBox.querySelector("ul");
      values.forEach(function (value) {
        var item = document.createElement("li");
        var swatch = document.createElement("span");
        swatch.className = "map-swatch " + value.className;
        swatch.setAttribute("aria-hidden", "true");
        var label = document.createElement("span");
        label.textContent = value.label;
        var count = document.createElement("span");
        count.className = "map-legend-count";
        count.textContent = Number(value.count).toLocaleString(language);
        item.appendChild(swatch);
        item.appendChild(label);
        item.appendChild(count);
        list.appendChild(item);
      });
      legendBox.hidden = false;
    }
    return values;
  }

  function draw(data) {
    var values = coloured ? legend(data.legend || []) : new Map();
    var markers = [];
    var corners = [];
    (data.features || []).forEach(function (feature) {
      var xy = feature.geometry.coordinates;
      var props = feature.properties || {};
      var key = props.color === null || props.color === undefined ? "" : props.color;
      var value = coloured ? values.get(key) || null : null;
      var marker = L.marker([xy[1], xy[0]], {
        icon: icon(value ? value.className : "map-pin-default"),
        title: props.name || texts.noName,
        keyboard: true,
      });
      marker.bindPopup(function () { return popup(feature, value); }, {
        maxWidth: 260,
        minWidth: 180,
      });
      markers.push(marker);
      corners.push([xy[1], xy[0]]);
    });
    clusters.addLayers(markers);
    if (corners.length) {
      map.fitBounds(L.latLngBounds(corners), { padding: [30, 30], maxZoom: 13 });
      show("");
    } else {
      show(texts.none);
    }
    element.setAttribute("data-loaded", String(markers.length));
  }

  show(texts.loading);
  fetch(element.getAttribute("data-points"), {
    credentials: "same-origin",
    headers: { Accept: "application/geo+json" },
  })
    .then(function (response) {
      if (!response.ok) throw new Error(String(response.status));
      return response.json();
    })
    .then(draw)
    .catch(function () { show(texts.failed); });
})();
