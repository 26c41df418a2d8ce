// Shows event times in the visitor's own time zone, beside the event's (rendered by the server).
(function () {
  "use strict";
  var viewerZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  var lang = document.documentElement.lang || undefined;
  var dateTime = new Intl.DateTimeFormat(lang, { dateStyle: "full", timeStyle: "short" });
  var timeOnly = new Intl.DateTimeFormat(lang, { timeStyle: "short", timeZoneName: "short" });
  document.querySelectorAll("[data-viewer-time]").forEach(function (element) {
    if (element.dataset.eventZone === viewerZone) { return; }
    var start = new Date(element.dataset.start);
    var end = new Date(element.dataset.end);
    if (isNaN(start) || isNaN(end)) { return; }
    var sameDay = start.toDateString() === end.toDateString();
    var text = dateTime.format(start) + " – " + (sameDay ? timeOnly.format(end) : dateTime.format(end) + " (" + viewerZone + ")");
    element.querySelector("[data-viewer-time-text]").textContent = text;
    element.hidden = false;
  });
})();
