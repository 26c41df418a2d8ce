// Parts of a cached page that change without an edit (the Register box's seats left) come live:
// each element with data-live-fragment="<address>" is replaced by the HTML that address answers,
// which no cache keeps (events/http_cache.py). The page itself is the same for every visitor and
// served from shared caches; until the fragment comes, or without JavaScript, the element shows
// its neutral version, whose links lead to pages that are always live.
(function () {
  "use strict";
  function fill(element) {
    var address = element.getAttribute("data-live-fragment");
    element.removeAttribute("data-live-fragment");
    fetch(address, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) {
        if (!response.ok) { throw new Error(response.status); }
        return response.text();
      })
      .then(function (html) {
        var template = document.createElement("template");
        template.innerHTML = html;
        var live = template.content.firstElementChild;
        if (live) { element.replaceWith(live); }
      })
      .catch(function () { /* the neutral version stays */ });
  }
  document.querySelectorAll("[data-live-fragment]").forEach(fill);
})();
