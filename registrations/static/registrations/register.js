// The register page, when some tickets carry CE credit and others do not: the profession and
// licence fields are shown only while a ticket that needs them is chosen. Without this script they
// stay visible and optional; the server asks for them only for a CE-credit ticket.
(function () {
  "use strict";
  var radios = document.querySelectorAll(".register-form input[name=ticket_type]");
  function update() {
    var chosen = document.querySelector(".register-form input[name=ticket_type]:checked");
    var needed = !chosen || chosen.getAttribute("data-ce") === "1";
    document.querySelectorAll("[data-ce-fields]").forEach(function (block) { block.hidden = !needed; });
  }
  radios.forEach(function (radio) { radio.addEventListener("change", update); });
  update();
})();
