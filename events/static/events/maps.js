// The maps of events (events/maps.py), drawn by Leaflet (static/events/vendor/): the listing's map
// of its results, clustered, each pin opening a popup with the event's title linked, its date and
// place; the event page's pin at its venue. The list of results and the address stay on the page
// as the way to the same facts without a map. Everything the pins say is written as text.
(function () {
  "use strict";
  if (!window.L) return;

  function json(id) {
    var element = id && document.getElementById(id);
    return element ? JSON.parse(element.textContent) : null;
  }

  function line(tag, text) {
    var element = document.createElement(tag);
    element.textContent = text;
    return element;
  }

  function popup(pin) {
    var box = document.createElement("div");
    box.className = "events-map-popup";
    var title = document.createElement("strong");
    var link = line("a", pin.title);
    link.href = pin.url;
    title.append(link);
    box.append(title);
    if (pin.date) box.append(line("div", pin.date));
    if (pin.place) box.append(line("div", pin.place));
    return box;
  }

  // A cluster's icon: its count for the eye, "3 events: zoom in" for a screen reader.
  function clusterIcon(label) {
    return function (cluster) {
      var count = cluster.getChildCount();
      var size = count < 10 ? "small" : count < 100 ? "medium" : "large";
      var inner = document.createElement("div");
      var shown = line("span", String(count));
      shown.setAttribute("aria-hidden", "true");
      inner.append(shown, line("span", label.replace("{count}", count)));
      inner.lastChild.className = "events-map-sr";
      return L.divIcon({ html: inner, className: "marker-cluster marker-cluster-" + size, iconSize: L.point(40, 40) });
    };
  }

  function draw(element) {
    var options = json(element.dataset.options);
    var pins = json(element.dataset.pins) || [];
    L.Icon.Default.imagePath = "";
    L.Icon.Default.mergeOptions({ iconUrl: options.icon, iconRetinaUrl: options.icon2x, shadowUrl: options.shadow });
    var map = L.map(element, { zoomControl: false, scrollWheelZoom: false });
    L.control.zoom({ zoomInTitle: element.dataset.zoomIn, zoomOutTitle: element.dataset.zoomOut }).addTo(map);
    L.tileLayer(options.tiles, { attribution: options.attribution, maxZoom: 19 }).addTo(map);
    var layer =
      element.hasAttribute("data-cluster") && L.markerClusterGroup
        ? L.markerClusterGroup({ iconCreateFunction: clusterIcon(element.dataset.clusterLabel || "{count}") })
        : L.featureGroup();
    pins.forEach(function (pin) {
      var interactive = Boolean(pin.url);
      var marker = L.marker([pin.lat, pin.lng], {
        title: pin.title,
        alt: pin.title,
        keyboard: interactive,
        interactive: interactive,
      });
      if (interactive) {
        marker.bindPopup(popup(pin));
        // Keyboard users land in the popup, and back on the pin when it closes (Escape).
        marker.on("popupopen", function (event) {
          var box = event.popup.getElement();
          if (!box.dataset.keys) {
            box.dataset.keys = "";
            box.addEventListener("keydown", function (key) {
              if (key.key === "Escape") marker.closePopup();
            });
          }
          var link = box.querySelector(".events-map-popup a");
          if (link) link.focus();
        });
        marker.on("popupclose", function () {
          var icon = marker.getElement();
          if (icon && element.contains(document.activeElement)) icon.focus();
        });
      }
      layer.addLayer(marker);
    });
    // A cluster opened from the keyboard: its icon is gone, so focus goes back to the map, from
    // where Tab reaches the pins it was hiding.
    var refocus = false;
    layer.on("clusterclick", function (event) {
      refocus = Boolean(event.originalEvent && event.originalEvent.type.indexOf("key") === 0);
    });
    layer.on("animationend spiderfied", function () {
      if (refocus) element.focus();
      refocus = false;
    });
    layer.addTo(map);
    if (pins.length === 1) map.setView([pins[0].lat, pins[0].lng], 15);
    else map.fitBounds(layer.getBounds(), { padding: [24, 24], maxZoom: 15 });
    element.dataset.ready = "";
    return map;
  }

  // The listing's map sits behind a "Show map" / "Hide map" button: shown on a wide screen, folded
  // on a phone (drawn when first shown, as Leaflet needs its size).
  document.querySelectorAll("[data-map-block]").forEach(function (block) {
    var element = block.querySelector("[data-map]");
    var toggle = block.querySelector("[data-map-toggle]");
    var region = document.getElementById(toggle.getAttribute("aria-controls"));
    var map = null;
    function show(open) {
      region.hidden = !open;
      toggle.setAttribute("aria-expanded", String(open));
      toggle.textContent = open ? toggle.dataset.hideLabel : toggle.dataset.showLabel;
      if (open && !map) map = draw(element);
      else if (open) map.invalidateSize();
    }
    block.hidden = false;
    show(window.matchMedia("(min-width: 50rem)").matches);
    toggle.addEventListener("click", function () {
      show(region.hidden);
    });
  });

  // The event page's pin: always drawn (it is small), the address above it says the same.
  document.querySelectorAll("figure.events-map-venue [data-map]").forEach(function (element) {
    element.closest("figure").hidden = false;
    draw(element);
  });
})();
