// The door's check-in page: typed or scanned codes and name searches go to the server as JSON;
// the answer fills the big result panel (announced at once to screen readers) and the list of
// recent check-ins, each with an Undo. Every string comes translated from the page's config.
(function () {
  "use strict";
  var configElement = document.getElementById("checkin-config");
  if (!configElement) { return; }
  var config = JSON.parse(configElement.textContent);
  var S = config.strings;
  var lang = document.documentElement.lang || undefined;
  var csrfToken = document.querySelector("#checkin-code-form [name=csrfmiddlewaretoken]").value;

  var panel = document.getElementById("checkin-result");
  var panelTitle = panel.querySelector(".checkin-result-title");
  var panelName = panel.querySelector(".checkin-result-name");
  var panelNotes = panel.querySelector(".checkin-result-notes");
  var panelDetail = panel.querySelector(".checkin-result-detail");
  var codeForm = document.getElementById("checkin-code-form");
  var codeInput = document.getElementById("checkin-code");
  var searchForm = document.getElementById("checkin-search-form");
  var searchInput = document.getElementById("checkin-search");
  var searchResults = document.getElementById("checkin-search-results");
  var recent = document.getElementById("checkin-recent");
  var lastQuery = "";

  function format(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (match, key) {
      return values[key] == null ? "" : String(values[key]);
    });
  }

  function formatter(options) {
    try {
      return new Intl.DateTimeFormat(lang, Object.assign({ timeZone: config.timeZone }, options));
    } catch (error) {
      return new Intl.DateTimeFormat(lang, options);
    }
  }
  var dayKey = formatter({ year: "numeric", month: "2-digit", day: "2-digit" });
  var timeOnly = formatter({ hour: "numeric", minute: "2-digit" });
  var dateAndTime = formatter({ dateStyle: "medium", timeStyle: "short" });

  // A time in the event's zone: just the time when it is today there, else the date too.
  function when(iso) {
    var moment = new Date(iso);
    if (!iso || isNaN(moment)) { return ""; }
    return dayKey.format(moment) === dayKey.format(new Date()) ? timeOnly.format(moment) : dateAndTime.format(moment);
  }

  // The ticket code: a pasted ticket link works too; spaces from copying do no harm.
  function secretFrom(text) {
    var match = text.match(/\/tickets\/([A-Za-z0-9_-]+)/);
    return match ? match[1] : text.replace(/\s+/g, "");
  }

  function show(state, title, name, detail, notes) {
    panel.dataset.result = state;
    panelTitle.textContent = title;
    panelName.textContent = name || "";
    panelDetail.textContent = detail || "";
    panelNotes.textContent = "";
    (notes || []).forEach(function (note) {  // the answers the event shows at the door
      var item = document.createElement("li");
      item.textContent = note.question + ": " + note.answer;
      panelNotes.appendChild(item);
    });
  }

  function showResult(data) {
    var detail = "";
    if (data.result === "already") {
      detail = format(data.checked_in_by ? S.already_detail : S.already_detail_nobody, {
        when: when(data.checked_in_at), by: data.checked_in_by
      });
    } else if (data.result === "wrong_event") {
      detail = format(S.wrong_event_detail, { event: data.event });
    } else if (S[data.result + "_detail"]) {
      detail = S[data.result + "_detail"];
    }
    show(S[data.result] ? data.result : "error", S[data.result] || S.error, data.name, detail, data.notes);
  }

  function updateCounts(counts) {
    if (!counts) { return; }
    document.querySelectorAll("#checkin-counts [data-count]").forEach(function (element) {
      element.textContent = counts[element.dataset.count];
    });
  }

  function request(url, options) {
    return fetch(url, Object.assign({ credentials: "same-origin", headers: { Accept: "application/json" } }, options))
      .then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (data) {
          if (!response.ok) {
            throw new Error(data.error || S.error + " (" + response.status + ")");
          }
          return data;
        });
      }, function () { throw new Error(S.offline); });
  }

  function post(url, payload) {
    return request(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken, Accept: "application/json" },
      body: JSON.stringify(payload)
    });
  }

  function undoButton(checkInId, name) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "secondary";
    button.dataset.undo = checkInId;
    button.textContent = S.undo;
    var hidden = document.createElement("span");
    hidden.className = "visually-hidden";
    hidden.textContent = " " + name;
    button.appendChild(hidden);
    return button;
  }

  function addRecent(data) {
    if (!data.check_in || (data.result !== "ok" && data.result !== "already")) { return; }
    var row = recent.querySelector('li[data-check-in="' + data.check_in + '"]');
    if (!row) {
      row = document.createElement("li");
      row.dataset.checkIn = data.check_in;
      var name = document.createElement("span");
      name.className = "checkin-list-name";
      name.textContent = data.name;
      var meta = document.createElement("span");
      meta.className = "checkin-list-meta";
      var time = document.createElement("time");
      time.dateTime = data.checked_in_at;
      time.textContent = when(data.checked_in_at);
      meta.appendChild(time);
      if (data.checked_in_by) { meta.appendChild(document.createTextNode(" · " + data.checked_in_by)); }
      row.append(name, meta, undoButton(data.check_in, data.name));
    }
    recent.prepend(row);
  }

  var busy = false;
  function redeem(payload) {
    busy = true;
    show("working", S.working, "", "");
    payload.session = config.session;
    payload.direction = config.direction;
    return post(config.redeem, payload).then(function (data) {
      showResult(data);
      updateCounts(data.counts);
      addRecent(data);
      return data;
    }, function (error) {
      show("error", S.error, "", error.message);
    }).then(function (data) {
      busy = false;
      return data;
    });
  }

  codeForm.addEventListener("submit", function (event) {
    event.preventDefault();
    var secret = secretFrom(codeInput.value);
    if (!secret) { codeInput.focus(); return; }
    redeem({ secret: secret, method: "typed" }).then(function () {
      codeInput.value = "";
      codeInput.focus();
    });
  });

  // Name search

  function renderResults(results) {
    searchResults.textContent = "";
    if (!results.length) {
      var empty = document.createElement("li");
      empty.textContent = S.no_results;
      searchResults.appendChild(empty);
      return;
    }
    results.forEach(function (item) {
      var row = document.createElement("li");
      var name = document.createElement("span");
      name.className = "checkin-list-name";
      name.textContent = item.name;
      var meta = document.createElement("span");
      meta.className = "checkin-list-meta";
      var parts = [item.email, item.ticket_type];
      if (item.check_in) {
        parts.push(format(S.checked_in_short, { when: when(item.check_in.checked_in_at) }));
      } else if (item.status !== "confirmed") {
        parts.push(S.not_paid_short);
        row.className = "is-unpaid";
      }
      meta.textContent = parts.join(" · ");
      row.append(name, meta);
      if (item.check_in) {
        row.appendChild(undoButton(item.check_in.check_in, item.name));
      } else {
        var button = document.createElement("button");
        button.type = "button";
        button.dataset.registration = item.registration;
        button.textContent = S.check_in;
        var hidden = document.createElement("span");
        hidden.className = "visually-hidden";
        hidden.textContent = " " + item.name;
        button.appendChild(hidden);
        row.appendChild(button);
      }
      searchResults.appendChild(row);
    });
  }

  function runSearch(query) {
    lastQuery = query;
    return post(config.search, { q: query, session: config.session }).then(function (data) { renderResults(data.results); }, function (error) {
      show("error", S.error, "", error.message);
    });
  }

  searchForm.addEventListener("submit", function (event) {
    event.preventDefault();
    var query = searchInput.value.trim();
    if (query.length < 2) { searchInput.focus(); return; }
    runSearch(query);
  });

  searchResults.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-registration]");
    if (!button) { return; }
    button.disabled = true;
    redeem({ registration: Number(button.dataset.registration), method: "search" }).then(function () {
      return runSearch(lastQuery);
    }).then(function () { searchInput.focus(); });
  });

  // Undo, from the recent list or the search results

  document.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-undo]");
    if (!button) { return; }
    button.disabled = true;
    post(config.undo, { check_in: Number(button.dataset.undo) }).then(function (data) {
      updateCounts(data.counts);
      show("idle", S.undone, data.name, "");
      var row = recent.querySelector('li[data-check-in="' + data.check_in + '"]');
      if (row) {
        row.classList.add("is-undone");
        var label = document.createElement("span");
        label.className = "checkin-list-meta";
        label.textContent = S.undone;
        row.querySelector("button[data-undo]").replaceWith(label);
      }
      if (lastQuery && searchResults.contains(button)) { runSearch(lastQuery); }
      codeInput.focus();
    }, function (error) {
      button.disabled = false;
      show("error", S.error, "", error.message);
    });
  });

  // The camera, where the browser can read QR codes itself (BarcodeDetector); typing works everywhere.

  var cameraButton = document.getElementById("checkin-camera-button");
  var cameraNote = document.getElementById("checkin-camera-note");
  var cameraStatus = document.getElementById("checkin-camera-status");
  var video = document.getElementById("checkin-video");
  var stream = null;
  var detector = null;
  var lastCode = "";
  var lastCodeAt = 0;

  if ("BarcodeDetector" in window && navigator.mediaDevices && navigator.mediaDevices.getUserMedia) {
    Promise.resolve(window.BarcodeDetector.getSupportedFormats ? window.BarcodeDetector.getSupportedFormats() : [])
      .then(function (formats) {
        if (formats.indexOf("qr_code") === -1) { return; }
        detector = new window.BarcodeDetector({ formats: ["qr_code"] });
        cameraButton.hidden = false;
        cameraNote.hidden = true;
      })
      .catch(function () { /* no camera scanning: the note stays */ });
  }

  function stopCamera() {
    if (stream) { stream.getTracks().forEach(function (track) { track.stop(); }); }
    stream = null;
    video.hidden = true;
    video.srcObject = null;
    cameraButton.textContent = S.camera_start;
    cameraStatus.textContent = "";
  }

  function scan() {
    if (!stream) { return; }
    if (busy || video.readyState < 2) { window.setTimeout(scan, 250); return; }
    detector.detect(video).then(function (codes) {
      var code = codes.length ? codes[0].rawValue : "";
      var now = Date.now();
      // The same ticket stays in front of the camera for a moment: read it once.
      if (code && !(code === lastCode && now - lastCodeAt < 4000)) {
        lastCode = code;
        lastCodeAt = now;
        return redeem({ secret: secretFrom(code), method: "scan" });
      }
      if (code) { lastCodeAt = now; }
    }).catch(function () { /* a frame the detector could not read */ }).then(function () {
      window.setTimeout(scan, 250);
    });
  }

  cameraButton.addEventListener("click", function () {
    if (stream) { stopCamera(); return; }
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false }).then(function (media) {
      stream = media;
      video.srcObject = media;
      video.hidden = false;
      cameraButton.textContent = S.camera_stop;
      cameraStatus.textContent = S.camera_on;
      return video.play().then(scan);
    }).catch(function () {
      stopCamera();
      cameraStatus.textContent = S.camera_error;
    });
  });
  window.addEventListener("pagehide", stopCamera);
})();
