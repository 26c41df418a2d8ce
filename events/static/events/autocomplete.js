// Suggestions under the listing's search box as one types (events/suggest.py): the WAI-ARIA 1.2
// combobox with a listbox popup. The focus stays in the box; the arrow keys move a highlight
// (aria-activedescendant), Enter follows the highlighted suggestion (or, with none, submits the
// search as without JavaScript), Escape closes the list. The strings come translated on this
// script's own tag (data-*), where the template renders them.
(function () {
  var script = document.currentScript;
  var input = document.querySelector('form[role="search"] input[name="q"]');
  if (!script || !input || !script.dataset.url || !window.fetch) return;
  var text = script.dataset;
  var DELAY = 150;
  var MIN_LENGTH = 2;

  var list = document.createElement("ul");
  list.id = input.id + "-suggestions";
  list.className = "suggestions";
  list.setAttribute("role", "listbox");
  list.setAttribute("aria-label", text.label);
  list.hidden = true;
  var status = document.createElement("div");
  status.className = "visually-hidden";
  status.setAttribute("role", "status");
  status.setAttribute("aria-live", "polite");
  var wrapper = document.createElement("div");
  wrapper.className = "suggest";
  input.parentNode.insertBefore(wrapper, input);
  wrapper.appendChild(input);
  wrapper.appendChild(list);
  wrapper.appendChild(status);

  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-expanded", "false");
  input.setAttribute("aria-controls", list.id);
  input.setAttribute("autocomplete", "off");

  var items = [];
  var active = -1;
  var timer = null;
  var pending = null;
  var asked = "";

  function close() {
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    highlight(-1);
  }

  function highlight(index) {
    active = index;
    items.forEach(function (item, n) {
      var option = document.getElementById(list.id + "-" + n);
      option.setAttribute("aria-selected", n === index ? "true" : "false");
    });
    if (index >= 0) {
      input.setAttribute("aria-activedescendant", list.id + "-" + index);
      document.getElementById(list.id + "-" + index).scrollIntoView({ block: "nearest" });
    } else {
      input.removeAttribute("aria-activedescendant");
    }
  }

  function announce(count) {
    status.textContent =
      count === 0 ? text.none : count === 1 ? text.one : text.many.replace("{count}", count);
  }

  function show(suggestions) {
    items = suggestions;
    active = -1;
    list.textContent = "";
    suggestions.forEach(function (suggestion, n) {
      var option = document.createElement("li");
      option.id = list.id + "-" + n;
      option.setAttribute("role", "option");
      option.setAttribute("aria-selected", "false");
      option.className = "suggestion suggestion-" + suggestion.kind;
      var label = document.createElement("span");
      label.textContent = suggestion.label;
      var kind = document.createElement("span");
      kind.className = "suggestion-kind";
      kind.textContent = text[suggestion.kind] || "";
      option.appendChild(label);
      option.appendChild(document.createTextNode(" "));
      option.appendChild(kind);
      option.addEventListener("mousedown", function (event) {
        event.preventDefault(); // the box keeps the focus
      });
      option.addEventListener("click", function () {
        follow(n);
      });
      list.appendChild(option);
    });
    input.removeAttribute("aria-activedescendant");
    list.hidden = suggestions.length === 0;
    input.setAttribute("aria-expanded", suggestions.length ? "true" : "false");
    announce(suggestions.length);
  }

  function follow(index) {
    window.location.assign(items[index].url);
  }

  function ask() {
    var query = input.value.trim();
    if (query === asked) return;
    asked = query;
    if (pending) pending.abort();
    if (query.length < MIN_LENGTH) {
      pending = null;
      show([]);
      status.textContent = "";
      return;
    }
    pending = new AbortController();
    fetch(script.dataset.url + "?" + new URLSearchParams({ q: query }), {
      signal: pending.signal,
      headers: { Accept: "application/json" },
    })
      .then(function (response) {
        return response.ok ? response.json() : { suggestions: [] };
      })
      .then(function (body) {
        if (input.value.trim() === query && document.activeElement === input) show(body.suggestions);
      })
      .catch(function () {}); // aborted, or offline: the plain search still works
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(ask, DELAY);
  });

  input.addEventListener("keydown", function (event) {
    var open = !list.hidden && items.length > 0;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      if (!open) {
        if (items.length) {
          list.hidden = false;
          input.setAttribute("aria-expanded", "true");
        }
        return;
      }
      event.preventDefault();
      var step = event.key === "ArrowDown" ? 1 : -1;
      var next = active + step;
      highlight(next < -1 ? items.length - 1 : next >= items.length ? -1 : next);
    } else if (event.key === "Enter" && open && active >= 0) {
      event.preventDefault();
      follow(active);
    } else if (event.key === "Escape" && open) {
      event.preventDefault();
      close();
    }
  });

  input.addEventListener("blur", close);
})();
