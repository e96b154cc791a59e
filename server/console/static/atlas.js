// Jaring public atlas: the map of the published initiatives (Leaflet, clustered), and
// the directory's filters when the atlas is a folder of files (no server to ask).
// The basemap is the atlas's own outline of Indonesia's provinces; OpenStreetMap tiles
// are an optional layer, off until the reader switches it on. The data come from
// window.ATLAS_POINTS / window.ATLAS_BASEMAP when the page was opened from a folder
// (file://, where a page cannot fetch files), else from the addresses on the map.
// Every text goes in as text (textContent).
(function () {
  "use strict";

  function texts() {
    var holder = document.getElementById("atlas-texts");
    return holder ? JSON.parse(holder.textContent) : {};
  }

  function load(inline, url) {
    if (inline) return Promise.resolve(inline);
    return fetch(url, { credentials: "omit" }).then(function (response) {
      if (!response.ok) throw new Error(String(response.status));
      return response.json();
    });
  }

  function drawMap(element) {
    if (!window.L || !L.markerClusterGroup) return;
    var t = texts();
    var message = document.getElementById("atlas-map-message");
    var still = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    var map = L.map(element, {
      fadeAnimation: !still,
      zoomAnimation: !still,
      markerZoomAnimation: !still,
      maxZoom: 18,
      minZoom: 3,
      zoomSnap: 0.5,
    });
    map.fitBounds(L.latLngBounds([-11.2, 94.8], [6.4, 141.1]));
    map.attributionControl.setPrefix(false);
    var withTiles = false;
    var provinces = L.geoJSON(null, {
      interactive: false,
      renderer: L.canvas({ padding: 0.5 }),
      attribution: "Natural Earth",
      style: function (feature) {
        var home = ((feature.properties && feature.properties.iso_3166_2) || "").indexOf("ID-") === 0;
        return {
          color: home ? "#8c8f96" : "#b5b8bd",
          weight: home ? 1 : 0.6,
          fillColor: home ? "#fbf8f1" : "#eeece7",
          fillOpacity: withTiles ? 0 : 1,
        };
      },
    }).addTo(map);
    load(window.ATLAS_BASEMAP, element.getAttribute("data-basemap"))
      .then(function (data) { provinces.addData(data); })
      .catch(function () { /* the points still show on the plain background */ });
    var tiles = L.tileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png", {
      maxZoom: 19,
      attribution: '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>',
    });
    var overlays = {};
    overlays[t.provinces] = provinces;
    overlays[t.osm] = tiles;
    L.control.layers(null, overlays, { collapsed: true }).addTo(map);
    map.on("overlayadd overlayremove", function (event) {
      if (event.layer !== tiles) return;
      withTiles = event.type === "overlayadd";
      provinces.setStyle(provinces.options.style);
    });
    var clusters = L.markerClusterGroup({
      animate: !still,
      showCoverageOnHover: false,
      maxClusterRadius: 45,
      iconCreateFunction: function (cluster) {
        var count = cluster.getChildCount();
        var size = count < 10 ? "small" : count < 100 ? "medium" : "large";
        return L.divIcon({
          html: "<span>" + Number(count) + "</span>",
          className: "atlas-cluster atlas-cluster-" + size,
          iconSize: L.point(40, 40),
        });
      },
    }).addTo(map);
    var pin = L.divIcon({ className: "atlas-pin", iconSize: L.point(18, 18), popupAnchor: L.point(0, -8) });
    var template = element.getAttribute("data-initiative");

    function popup(feature) {
      var box = document.createElement("div");
      var name = document.createElement("strong");
      name.textContent = (feature.properties && feature.properties.name) || t.noName;
      box.appendChild(name);
      box.appendChild(document.createElement("br"));
      var link = document.createElement("a");
      link.href = template.replace("__ID__", encodeURIComponent(feature.id));
      link.textContent = t.open;
      box.appendChild(link);
      return box;
    }

    load(window.ATLAS_POINTS, element.getAttribute("data-points"))
      .then(function (data) {
        var markers = [];
        var corners = [];
        (data.features || []).forEach(function (feature) {
          var xy = feature.geometry.coordinates;
          var marker = L.marker([xy[1], xy[0]], {
            icon: pin,
            title: (feature.properties && feature.properties.name) || t.noName,
            keyboard: true,
          });
          marker.bindPopup(function () { return popup(feature); }, { minWidth: 160 });
          markers.push(marker);
          corners.push([xy[1], xy[0]]);
        });
        clusters.addLayers(markers);
        if (corners.length) map.fitBounds(L.latLngBounds(corners), { padding: [30, 30], maxZoom: 9 });
        else if (message) { message.textContent = t.none; message.hidden = false; }
        element.setAttribute("data-loaded", String(markers.length));
      })
      .catch(function () {
        if (message) { message.textContent = t.failed; message.hidden = false; }
      });
  }

  // In a folder copy the directory lists every initiative; its filters hide rows here.
  function filterHere(form) {
    var rows = document.querySelectorAll("[data-atlas-row]");
    var count = document.getElementById("atlas-count");
    function apply(event) {
      if (event) event.preventDefault();
      var wanted = [];
      form.querySelectorAll("select").forEach(function (select) {
        if (select.value) wanted.push([select.name, select.value]);
      });
      var words = (form.querySelector("input[name=q]") || { value: "" }).value.toLowerCase().split(/\s+/).filter(Boolean);
      var shown = 0;
      rows.forEach(function (row) {
        var ok = wanted.every(function (pair) { return row.getAttribute("data-" + pair[0]) === pair[1]; });
        var text = row.getAttribute("data-search") || "";
        ok = ok && words.every(function (word) { return text.indexOf(word) >= 0; });
        row.hidden = !ok;
        if (ok) shown += 1;
      });
      if (count) count.textContent = String(shown);
    }
    form.addEventListener("submit", apply);
    form.addEventListener("change", apply);
  }

  var element = document.getElementById("atlas-map");
  if (element) drawMap(element);
  var form = document.getElementById("atlas-filters");
  if (form && form.hasAttribute("data-local")) filterHere(form);
})();
