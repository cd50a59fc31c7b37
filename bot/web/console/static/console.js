/* The console's one script, served from its own origin (the CSP allows nothing else).
 * Every page works without it; with it, the queue and a case page update themselves over
 * server-sent events (the page is fetched again and the parts marked data-live swapped,
 * unless the agent is writing in one), a customer waiting live or writing in your live chat
 * rings and raises a desktop notification, waiting times count up, the live composer tells
 * the customer you are typing, canned replies drop into the composer, the transcript follows
 * the newest message unless the agent scrolled up to read, times show in the agent's own
 * zone (UTC on hover), and the keyboard shortcuts listed at the foot of each page work. */
(function () {
  "use strict";
  var body = document.body, events = body.getAttribute("data-events"), version = body.getAttribute("data-version");
  var seenWaiting = {}, customerLines = countCustomerLines(), alerts = 0, pageTitle = document.title;
  var loading = false, again = false, audio = null;

  function all(selector, root) { return Array.prototype.slice.call((root || document).querySelectorAll(selector)); }

  // --- live regions ------------------------------------------------------------------
  function editing(region) {
    var active = document.activeElement;
    if (active && region.contains(active) && /^(INPUT|TEXTAREA|SELECT)$/.test(active.tagName)) return true;
    var typed = all("textarea, input[type=text], input:not([type])", region).some(function (field) {
      return field.value !== field.defaultValue;
    });
    // A choice made but not yet sent (a teammate picked to assign to) is the agent's work too.
    return typed || all("select option", region).some(function (option) { return option.selected !== option.defaultSelected; });
  }
  function swap(html) {
    var fresh = new DOMParser().parseFromString(html, "text/html");
    version = fresh.body.getAttribute("data-version");
    all("[data-live]").forEach(function (region) {
      var next = fresh.getElementById(region.id);
      if (!next || editing(region)) return;
      var reading = region.scrollTop, newest = atNewest(region);
      var copy = document.importNode(next, true);
      region.replaceWith(copy);
      // A transcript follows what arrives, unless the agent scrolled up to read: then it stays put.
      if (copy.id === "transcript") copy.scrollTop = newest ? copy.scrollHeight : reading;
    });
    wire();
    watch();
  }
  function reload() {
    if (loading) { again = true; return; }
    loading = true;
    fetch(location.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) { if (html) swap(html); }, function () {})
      .then(function () { loading = false; if (again) { again = false; reload(); } });
  }
  if (events && window.EventSource) {
    // Each event carries the version of what the page shows; the page knows its own.
    new EventSource(events).addEventListener("change", function (event) { if (event.data !== version) reload(); });
  }

  function atNewest(transcript) { return transcript.scrollHeight - transcript.scrollTop - transcript.clientHeight < 40; }

  // --- times in the agent's zone; the page's UTC stays on hover -----------------------
  var SHOWN = { when: { day: "numeric", month: "short", year: "numeric", hour: "numeric", minute: "2-digit",
                        timeZoneName: "short" },
                clock: { hour: "numeric", minute: "2-digit" } };
  function localTimes() {
    all("time[data-style]").forEach(function (time) {
      var moment = new Date(time.getAttribute("datetime")), style = SHOWN[time.getAttribute("data-style")];
      if (style && !isNaN(moment)) time.textContent = moment.toLocaleString([], style);
    });
  }

  // --- alerts: a customer waiting live, a customer writing in your live chat ------------
  function countCustomerLines() { return all("#transcript .line.customer").length; }
  function watch() {
    all("tr[data-waiting-live]").forEach(function (row) {
      var id = row.getAttribute("data-case");
      if (!seenWaiting[id]) { seenWaiting[id] = true; if (watch.started) ring("A customer is waiting for a person", "Case #" + id); }
    });
    var lines = countCustomerLines();
    if (watch.started && lines > customerLines && document.querySelector("form[data-typing]")) {
      ring("The customer wrote", (all("#transcript .line.customer .text").pop() || {}).textContent || "");
    }
    customerLines = lines;
    watch.started = true;
  }
  function ring(title, text) {
    alerts += 1;
    body.setAttribute("data-alerts", String(alerts));
    if (document.visibilityState !== "visible" || !document.hasFocus()) document.title = "(" + alerts + ") " + pageTitle;
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      var tone = audio.createOscillator(), gain = audio.createGain();
      tone.frequency.value = 880; gain.gain.value = 0.08;
      tone.connect(gain); gain.connect(audio.destination);
      tone.start(); tone.stop(audio.currentTime + 0.18);
    } catch (e) { /* no sound on this browser */ }
    if (window.Notification && Notification.permission === "granted") new Notification(title, { body: text, tag: title });
  }
  window.addEventListener("focus", function () { alerts = 0; document.title = pageTitle; });
  var notify = document.querySelector("[data-notify]");
  if (notify && window.Notification && Notification.permission === "default") {
    notify.hidden = false;
    notify.addEventListener("click", function () {
      Notification.requestPermission().then(function () { notify.hidden = true; });
    });
  }

  // --- waiting times count up --------------------------------------------------------
  function tick() {
    all(".timer[data-since]").forEach(function (timer) {
      var seconds = Math.max(0, Math.floor((Date.now() - Date.parse(timer.getAttribute("data-since"))) / 1000));
      var minutes = Math.floor(seconds / 60), hours = Math.floor(minutes / 60);
      timer.textContent = hours ? hours + " h " + ("0" + (minutes % 60)).slice(-2) + " min"
        : minutes + ":" + ("0" + (seconds % 60)).slice(-2);
    });
  }
  setInterval(tick, 1000);

  // --- the live composer: typing, canned replies -------------------------------------
  function wire() {
    tick();
    localTimes();
    var composer = document.querySelector("form[data-typing]");
    if (composer && !composer.wired) {
      composer.wired = true;
      var last = 0, csrf = composer.querySelector("input[name=csrf]").value;
      composer.querySelector("textarea").addEventListener("input", function () {
        if (Date.now() - last < 2500) return;
        last = Date.now();
        fetch(composer.getAttribute("data-typing"), { method: "POST", credentials: "same-origin",
          headers: { "Content-Type": "application/x-www-form-urlencoded" }, body: "csrf=" + encodeURIComponent(csrf) });
      });
    }
    var canned = document.getElementById("canned");
    if (canned && !canned.wired) {
      canned.wired = true;
      canned.insertBefore(new Option("Insert a canned reply\u2026", "", true, true), canned.firstChild);
      canned.addEventListener("change", function () {
        var text = document.getElementById("text"), option = canned.selectedOptions[0];
        if (!text || !option || !option.value) return;
        text.value = option.getAttribute("data-text");
        text.dispatchEvent(new Event("input"));
        text.focus();
        canned.value = "";
      });
    }
  }

  // --- keyboard shortcuts ------------------------------------------------------------
  var prefix = null;
  function rows() { return all("tr[data-case]"); }
  function select(step) {
    var list = rows(), current = list.findIndex(function (r) { return r.classList.contains("selected"); });
    if (!list.length) return;
    var next = list[Math.min(Math.max(current + step, 0), list.length - 1)];
    list.forEach(function (r) { r.classList.remove("selected"); });
    next.classList.add("selected");
    next.scrollIntoView({ block: "nearest" });
  }
  function focus(id) { var field = document.getElementById(id); if (field) { field.focus(); return true; } return false; }
  document.addEventListener("keydown", function (event) {
    var target = event.target, typing = /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName) || target.isContentEditable;
    if (typing) {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && target.form) { event.preventDefault(); target.form.requestSubmit(); }
      if (event.key === "Escape") target.blur();
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (prefix === "g") {
      prefix = null;
      if (event.key === "q") location.href = "/";
      if (event.key === "d") location.href = "/dashboard";
      return;
    }
    var key = event.key, selected = document.querySelector("tr.selected a");
    if (key === "g") prefix = "g";
    else if (key === "/") { event.preventDefault(); if (!focus("q")) location.href = "/#search"; }
    else if (key === "j") select(1);
    else if (key === "k") select(-1);
    else if ((key === "o" || key === "Enter") && selected) location.href = selected.href;
    else if (key === "r") { if (focus("text")) event.preventDefault(); }
    else if (key === "n") { if (focus("note-text")) event.preventDefault(); }
    else if (key === "c") { var claim = document.querySelector("[data-claim]"); if (claim) claim.click(); }
    else if (key === "?") { var help = document.querySelector("details.shortcuts"); if (help) help.open = !help.open; }
  });
  if (location.hash === "#search") focus("q");
  wire();
  watch();
  var transcript = document.getElementById("transcript");
  if (transcript) transcript.scrollTop = transcript.scrollHeight;  // a case opens on the latest messages
})();
