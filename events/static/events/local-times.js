// Shows event times in the visitor's own time zone, beside the event's (rendered by the server).
// The note stays hidden (as the server sends it, and without JavaScript) when the visitor's clock
// reads the same as the event's: same zone, or another name for the same offset at that moment.
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
  var wallClock = { year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23" };

  function sameClock(date, zone) {
    try {
      var there = new Intl.DateTimeFormat("en-CA", Object.assign({ timeZone: zone }, wallClock));
      return there.format(date) === new Intl.DateTimeFormat("en-CA", wallClock).format(date);
    } catch (error) {
      return false; // a zone this browser does not know: show the visitor's time
    }
  }

  document.querySelectorAll("[data-viewer-time]").forEach(function (element) {
    var start = new Date(element.dataset.start);
    var end = new Date(element.dataset.end);
    if (isNaN(start) || isNaN(end)) { return; }
    var zone = element.dataset.eventZone;
    if (zone === viewerZone || (sameClock(start, zone) && sameClock(end, zone))) { return; }
    var sameDay = dayKey.format(start) === dayKey.format(end);
    var text = dateTime.format(start) + " – " + (sameDay ? "" : dateOnly.format(end) + ", ") + timeOnly.format(end);
    element.querySelector("[data-viewer-time-text]").textContent = text;
    element.hidden = false;
  });
})();
