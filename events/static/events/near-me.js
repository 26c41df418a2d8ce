// "Use my location" in the listing's Near filters: only when the person presses it, the browser
// is asked for their position (the Geolocation API; the browser asks them too); the place goes
// into the Near field, the results are sorted nearest first, and the search is made. If the
// browser declines or cannot tell, a polite message says so, and nothing else changes. The
// messages come translated on this script's own tag (data-*).
(function () {
  var script = document.currentScript;
  var group = document.querySelector("[data-near]");
  if (!script || !group || !navigator.geolocation) return;
  var text = script.dataset;
  var button = group.querySelector("[data-locate]");
  var status = group.querySelector("[data-locate-status]");
  var near = group.querySelector('input[name="near"]');
  var form = group.closest("form");
  if (!button || !status || !near || !form) return;
  button.hidden = false;

  function say(message) {
    status.textContent = message;
  }

  button.addEventListener("click", function () {
    button.disabled = true;
    say(text.locating);
    navigator.geolocation.getCurrentPosition(
      function (position) {
        // Four decimals: about 10 metres, as near as a search needs.
        near.value = position.coords.latitude.toFixed(4) + "," + position.coords.longitude.toFixed(4);
        var sort = form.querySelector('select[name="sort"]');
        if (sort && sort.querySelector('option[value="distance"]')) sort.value = "distance";
        say(text.found);
        form.submit();
      },
      function (error) {
        button.disabled = false;
        say(error.code === error.PERMISSION_DENIED ? text.denied : text.failed);
      },
      { timeout: 15000, maximumAge: 300000 }
    );
  });
})();
