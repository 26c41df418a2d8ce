// Shows event times in the visitor's own time zone, beside the event's (rendered by the server).
(function () {
  "use strict";
  var viewerZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  var lang = document.documentElement.lang || undefined;
  var dateTime = new Intl.DateTimeFormat(lang, {
    weekday: "long", year: "numeric", month: "long", day: "numeric", hour: "numeric", minute: "2-digit"
  });
  var timeOnly = new Intl.DateTimeFormat(lang, { hour: "numeric", minute: "2-digit", timeZoneName: "short" });
  var dateOnly = new Intl.DateTimeFormat(lang, { weekday: "long", month: "long", day: "numeric" });
  var dayKey = new Intl.DateTimeFormat("en-CA", { year: "numeric", month: "2-digit", day: "2-digit" });
  document.querySelectorAll("[data-viewer-time]").forEach(function (element) {
    if (element.dataset.eventZone === viewerZone) { return; }
    var start = new Date(element.dataset.start);
    var end = new Date(element.dataset.end);
    if (isNaN(start) || isNaN(end)) { return; }
    var sameDay = dayKey.format(start) === dayKey.format(end);
    var text = dateTime.format(start) + " – " + (sameDay ? "" : dateOnly.format(end) + ", ") + timeOnly.format(end);
    element.querySelector("[data-viewer-time-text]").textContent = text;
    element.hidden = false;
  });
})();
