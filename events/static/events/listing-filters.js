// The listing's filters are folded under "Filters" so that a phone shows the results first; on a
// wide screen, where they sit beside the results, they are unfolded.
(function () {
  var panel = document.querySelector("[data-filters]");
  if (panel && window.matchMedia("(min-width: 50rem)").matches) panel.open = true;
})();
