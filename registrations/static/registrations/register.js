// The register page, when some tickets need fields others do not: the profession and licence
// fields (tickets with CE credit) and the questions asked with some tickets only are shown only
// while a ticket that needs them is chosen. Without this script they stay visible and optional;
// the server asks for them only with the tickets that need them.
(function () {
  "use strict";
  var radios = document.querySelectorAll(".register-form input[name=ticket_type]");
  function update() {
    var chosen = document.querySelector(".register-form input[name=ticket_type]:checked");
    var needed = !chosen || chosen.getAttribute("data-ce") === "1";
    document.querySelectorAll("[data-ce-fields]").forEach(function (block) { block.hidden = !needed; });
    document.querySelectorAll("[data-asked-with]").forEach(function (block) {
      var tickets = block.getAttribute("data-asked-with").split(" ");
      block.hidden = !!chosen && tickets.indexOf(chosen.value) === -1;
    });
  }
  radios.forEach(function (radio) { radio.addEventListener("change", update); });
  update();
})();
