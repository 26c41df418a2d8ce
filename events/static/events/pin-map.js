// The venue editor's map (events/venue_editor.py): a Stimulus controller registered with Wagtail's
// admin. Clicking the map or dragging the pin writes the latitude and longitude; typing them moves
// the pin; "Look up from address" posts the form's address to the admin's geocoding view and
// places the pin where the service found it. Nothing is saved until the editor saves the venue.
(function () {
  "use strict";

  function define(Controller) {
    class PinMapController extends Controller {
      connect() {
        this.latitude = document.getElementById(this.latitudeValue);
        this.longitude = document.getElementById(this.longitudeValue);
        if (this.hasMapTarget && window.L && this.latitude && this.longitude) this.draw();
      }

      disconnect() {
        if (this.map) this.map.remove();
        this.map = null;
      }

      typed() {
        var lat = parseFloat(this.latitude.value);
        var lng = parseFloat(this.longitude.value);
        if (isNaN(lat) || isNaN(lng) || Math.abs(lat) > 90 || Math.abs(lng) > 180) return null;
        return L.latLng(lat, lng);
      }

      draw() {
        var options = this.optionsValue;
        L.Icon.Default.imagePath = "";
        L.Icon.Default.mergeOptions({ iconUrl: options.icon, iconRetinaUrl: options.icon2x, shadowUrl: options.shadow });
        this.map = L.map(this.mapTarget, { scrollWheelZoom: false });
        L.tileLayer(options.tiles, { attribution: options.attribution, maxZoom: 19 }).addTo(this.map);
        this.marker = L.marker([0, 0], { draggable: true, title: options.pin, alt: options.pin });
        this.marker.on("dragend", () => this.write(this.marker.getLatLng()));
        this.map.on("click", (event) => {
          this.place(event.latlng, false);
          this.write(event.latlng);
        });
        var moved = () => {
          var position = this.typed();
          if (position) this.place(position, true);
        };
        this.latitude.addEventListener("input", moved);
        this.longitude.addEventListener("input", moved);
        var position = this.typed();
        if (position) this.place(position, true, 15);
        else this.map.setView([20, 0], 2);
      }

      place(position, pan, zoom) {
        this.marker.setLatLng(position);
        if (!this.map.hasLayer(this.marker)) this.marker.addTo(this.map);
        if (pan) this.map.setView(position, zoom || Math.max(this.map.getZoom(), 13));
      }

      write(position) {
        position = position.wrap();
        this.set(position.lat.toFixed(6), position.lng.toFixed(6));
      }

      set(lat, lng) {
        this.latitude.value = lat;
        this.longitude.value = lng;
        // Wagtail notices the change (unsaved-changes warning).
        this.latitude.dispatchEvent(new Event("change", { bubbles: true }));
        this.longitude.dispatchEvent(new Event("change", { bubbles: true }));
      }

      lookUp() {
        var form = this.element.closest("form");
        var data = new FormData();
        data.append("csrfmiddlewaretoken", form.elements.csrfmiddlewaretoken.value);
        this.addressValue.split(" ").forEach(function (name) {
          var field = form.elements[name];
          if (field) data.append(name, field.value);
        });
        this.statusTarget.textContent = this.searchingValue;
        fetch(this.urlValue, { method: "POST", body: data, headers: { Accept: "application/json" } })
          .then((response) => response.json().then((answer) => ({ ok: response.ok, answer: answer })))
          .then(({ ok, answer }) => {
            if (!ok) {
              this.statusTarget.textContent = answer.error || this.failedValue;
              return;
            }
            this.set(answer.latitude, answer.longitude);
            if (this.map) this.place(L.latLng(parseFloat(answer.latitude), parseFloat(answer.longitude)), true, 16);
            this.statusTarget.textContent = this.foundValue.replace("{name}", answer.name);
          })
          .catch(() => {
            this.statusTarget.textContent = this.failedValue;
          });
      }
    }
    PinMapController.targets = ["map", "status"];
    PinMapController.values = {
      latitude: String,
      longitude: String,
      address: String,
      url: String,
      options: Object,
      searching: String,
      found: String,
      failed: String,
    };
    return PinMapController;
  }

  function register() {
    window.wagtail.app.register("events-pin-map", define(window.StimulusModule.Controller));
  }
  if (window.wagtail && window.wagtail.app) register();
  else document.addEventListener("DOMContentLoaded", register);
})();
