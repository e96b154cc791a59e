// Jaring console: where one submission was made, on a small map. The basemap is this
// server's own outline of Indonesia's provinces; no tiles are asked of another host.
(function () {
  "use strict";

  var element = document.getElementById("submission-map");
  if (!element || !window.L) return;

  var point = [parseFloat(element.getAttribute("data-lat")), parseFloat(element.getAttribute("data-lon"))];
  if (isNaN(point[0]) || isNaN(point[1])) return;
  var still = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  var map = L.map(element, {
    center: point,
    zoom: 7,
    minZoom: 3,
    maxZoom: 12,
    zoomControl: false,
    scrollWheelZoom: false,
    fadeAnimation: !still,
    zoomAnimation: !still,
    keyboard: false,
  });
  L.control.zoom({
    zoomInTitle: element.getAttribute("data-zoom-in"),
    zoomOutTitle: element.getAttribute("data-zoom-out"),
  }).addTo(map);
  map.attributionControl.setPrefix(false);

  var provinces = L.geoJSON(null, {
    interactive: false,
    attribution: "Natural Earth",
    style: function (feature) {
      var code = (feature.properties && feature.properties.iso_3166_2) || "";
      var home = code.indexOf("ID-") === 0;
      return {
        color: home ? "#8c8f96" : "#b5b8bd",
        weight: home ? 1 : 0.6,
        fillColor: home ? "#fbf8f1" : "#eeece7",
        fillOpacity: 1,
      };
    },
  }).addTo(map);
  fetch(element.getAttribute("data-basemap"), { credentials: "same-origin" })
    .then(function (response) { return response.ok ? response.json() : null; })
    .then(function (data) {
      if (!data) return;
      provinces.addData(data);
      marker.bringToFront();
    })
    .catch(function () { /* the point still shows on the plain background */ });

  var marker = L.circleMarker(point, {
    radius: 8,
    weight: 3,
    color: "#ffffff",
    fillColor: "#7a2e5f",
    fillOpacity: 1,
    interactive: false,
    className: "point-marker",
  }).addTo(map);
})();
