/* The help widget. Embed with one tag:
 *   <script src="https://support.example/static/widget.js" data-customer-token="JWT" defer></script>
 * No dependencies. Every text goes into the page with textContent, never innerHTML, so a
 * message with HTML in it is shown as text. The conversation id lives in localStorage, so
 * the conversation survives a reload. While the page is open (the panel open or closed)
 * the server pushes the conversation's state by server-sent events, or, where those are
 * unavailable, the widget polls with back-off: a support agent's reply arrives at once,
 * and a closed panel counts it on the launcher and in the page title. */
(function () {
  "use strict";
  var script = document.currentScript;
  var base = new URL(script.src).origin;
  var token = script.getAttribute("data-customer-token") || "";
  var title = script.getAttribute("data-title") || "Help";
  var LIMIT = 2000, WARN_AT = 1800, POLL_MIN = 4000, POLL_MAX = 60000;
  var URL_PATTERN = /(https?:\/\/[^\s<>"']+)/g;
  var UNREACHABLE = "The assistant can't be reached right now.";

  function readStore() { try { return JSON.parse(localStorage.getItem("gt-widget") || "{}"); } catch (e) { return {}; } }
  function ownConversation() {
    // A new visitor or another signed-in customer on this browser gets a new conversation.
    // The token's email claim, read without verifying (the server verifies): a host page
    // issues a fresh token on every load, and that must not start a new conversation.
    var owner = token ? tokenEmail(token) : "visitor", stored = readStore();
    if (stored.owner !== owner || !stored.id || !stored.key) {
      // The key is this browser's own secret for the conversation: an emailed code proves the
      // customer only together with it, so knowing the conversation id is never enough.
      stored = { owner: owner, id: (crypto.randomUUID ? crypto.randomUUID() : fallbackId()), key: fallbackId() + fallbackId() };
      localStorage.setItem("gt-widget", JSON.stringify(stored));
    }
    return stored;
  }
  function markStarted() { var s = readStore(); s.started = true; localStorage.setItem("gt-widget", JSON.stringify(s)); }
  function tokenEmail(jwt) {
    try {
      var part = jwt.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
      return JSON.parse(atob(part + "===".slice((part.length + 3) % 4))).email || "signed-in";
    } catch (e) { return "signed-in"; }
  }
  function fallbackId() {
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function initials(name) {
    return name.split(/\s+/).filter(Boolean).slice(0, 2).map(function (w) { return w[0].toUpperCase(); }).join("");
  }
  function clock(at) {
    var when = at ? new Date(at * 1000) : new Date();
    // "3:29 AM", not "03:29 AM": the hour as the customer's locale writes it ("03:29" where that is the custom).
    return el("time", { datetime: when.toISOString() }, when.toLocaleTimeString([], { hour: "numeric", minute: "2-digit" }));
  }

  var stored = ownConversation();
  var conversation = stored.id, clientKey = stored.key;
  var locale = navigator.language || "";
  var timezone = (Intl.DateTimeFormat().resolvedOptions() || {}).timeZone || "";
  var rendered = 0, busy = false, person = null, lastPerson = null, unread = 0, flashing = null;
  var pending = [], view = null, ratingDone = null, stream = null, pollDelay = POLL_MIN, pollTimer = null;
  var pageTitle = document.title;

  document.head.appendChild(el("link", { rel: "stylesheet", href: base + "/static/widget.css" }));
  var root = el("div", { id: "gt-widget", class: "gt-closed" });
  var launcher = el("button", { type: "button", class: "gt-launcher", "aria-expanded": "false", "aria-controls": "gt-panel" });
  launcher.appendChild(el("span", {}, title));
  var badge = el("span", { class: "gt-badge", hidden: "hidden" });
  launcher.appendChild(badge);
  var panel = el("section", { id: "gt-panel", class: "gt-panel", role: "dialog", "aria-label": title });
  var header = el("header", { class: "gt-header" });
  var heading = el("div", { class: "gt-heading" });
  heading.appendChild(el("h2", {}, title));
  var who = el("p", { class: "gt-who" }, "Assistant");
  heading.appendChild(who);
  var copy = el("button", { type: "button", class: "gt-copy", title: "Email me a copy" }, "Email me a copy");
  var close = el("button", { type: "button", class: "gt-close", "aria-label": "Close the chat" }, "\u00d7");
  [heading, copy, close].forEach(function (n) { header.appendChild(n); });
  var log = el("div", { class: "gt-log", role: "log", "aria-live": "polite", "aria-relevant": "additions", tabindex: "0" });
  var welcome = el("div", { class: "gt-msg gt-assistant gt-welcome" });
  var rating = el("div", { class: "gt-rating", hidden: "hidden" });
  var typing = el("p", { class: "gt-typing", hidden: "hidden", "aria-live": "polite" });
  var status = el("div", { class: "gt-status", role: "status" });
  var statusText = el("span", {}), retry = el("button", { type: "button", class: "gt-retry", hidden: "hidden" }, "Retry");
  status.appendChild(statusText); status.appendChild(retry);
  var replies = el("div", { class: "gt-replies", role: "group", "aria-label": "Suggested replies" });
  var form = el("form", { class: "gt-form" });
  var input = el("textarea", { id: "gt-input", rows: "2", placeholder: "Write a message\u2026", "aria-describedby": "gt-count" });
  var send = el("button", { type: "submit" }, "Send");
  var counter = el("p", { id: "gt-count", class: "gt-count", "aria-live": "polite" });
  form.appendChild(el("label", { for: "gt-input", class: "gt-sr" }, "Your message"));
  [input, send].forEach(function (n) { form.appendChild(n); });
  log.appendChild(welcome); log.appendChild(rating);
  [header, log, typing, status, replies, counter, form].forEach(function (n) { panel.appendChild(n); });
  root.appendChild(panel); root.appendChild(launcher);
  document.body.appendChild(root);

  function writeText(node, text) {
    // Line breaks become <br>, addresses become links; everything else stays text.
    text.split("\n").forEach(function (line, i) {
      if (i > 0) node.appendChild(document.createElement("br"));
      var last = 0;
      line.replace(URL_PATTERN, function (url, _m, offset) {
        node.appendChild(document.createTextNode(line.slice(last, offset)));
        node.appendChild(el("a", { href: url, target: "_blank", rel: "noopener noreferrer" }, url));
        last = offset + url.length;
        return url;
      });
      node.appendChild(document.createTextNode(line.slice(last)));
    });
  }
  function bubble(who, text, at, name) {
    var item = el("div", { class: "gt-item gt-item-" + who });
    if (who === "agent") item.appendChild(el("span", { class: "gt-avatar", "aria-hidden": "true" }, initials(name)));
    var msg = el("div", { class: "gt-msg gt-" + who });
    var label = { customer: "You", assistant: "Assistant", agent: name }[who];
    msg.appendChild(el("span", { class: who === "customer" ? "gt-sr" : "gt-name" }, label + (who === "customer" ? ": " : "")));
    var body = el("span", { class: "gt-text" });
    writeText(body, text);
    msg.appendChild(body);
    var meta = el("span", { class: "gt-meta" });
    meta.appendChild(clock(at));
    msg.appendChild(meta);
    item.appendChild(msg);
    log.insertBefore(item, rating);
    return item;
  }
  function notice(text) { log.insertBefore(el("p", { class: "gt-notice" }, text), rating); }
  function scrollDown() { log.scrollTop = log.scrollHeight; }
  function chips(buttons) {
    replies.textContent = "";
    (buttons || []).forEach(function (b) {
      var button = el("button", { type: "button", class: "gt-reply" }, b.title);
      // An assistant's button sends its payload and reads as its title; a topic sends its words.
      button.addEventListener("click", function () { submit(b.payload || b.text, b.payload ? b.title : b.text); });
      replies.appendChild(button);
    });
  }

  function render(data) {
    view = data;
    welcome.textContent = data.welcome ? data.welcome.text : "";
    var messages = data.messages || [], fresh = 0;
    messages.slice(rendered).forEach(function (m) {
      if (m.who === "customer") {
        var mine = pending.filter(function (p) { return p.text === m.text; })[0];  // our echo, now confirmed
        if (mine) { mine.node.remove(); pending.splice(pending.indexOf(mine), 1); }
      } else { fresh += 1; }
      if (m.notice === "joined") { lastPerson = m.name; notice(m.name + " joined the chat"); }
      if (m.notice === "left") notice((lastPerson || "The support agent") + " left the chat");
      bubble(m.who, m.text, m.at, m.name || "Support team");
    });
    if (rendered && fresh && (root.className !== "gt-open" || document.visibilityState !== "visible")) alertUnread(fresh);
    if (fresh && ratingDone === rating.getAttribute("data-subject")) rating.hidden = true;  // the thank-you had its moment
    rendered = Math.max(rendered, messages.length);
    pending.forEach(function (p) { log.insertBefore(p.node, rating); });
    var last = messages[messages.length - 1];
    chips(!messages.length && !pending.length ? data.welcome.topics : last && last.who !== "customer" ? last.buttons : []);
    showState(data.state || {});
    scrollDown();
  }
  function showState(state) {
    person = state.person || null;
    if (person) lastPerson = person;
    who.textContent = person ? person + " from the support team" : "Assistant";
    showTyping(state.typing && person ? person + " is typing\u2026" : busy && !person ? "The assistant is typing\u2026" : "");
    var ask = state.rating, shown = rating.getAttribute("data-subject");
    if (ask && ask.subject !== shown) { askRating(ask); rating.hidden = false; }
    else if (!ask && ratingDone !== shown) rating.hidden = true;  // a thank-you stays
  }
  function showTyping(text) { typing.textContent = text; typing.hidden = !text; }

  function askRating(ask) {
    rating.textContent = ""; rating.setAttribute("data-subject", ask.subject);
    rating.appendChild(el("p", { class: "gt-rating-question" }, ask.question));
    var stars = el("div", { class: "gt-stars", role: "group", "aria-label": "Your rating" }), chosen = 0;
    [1, 2, 3, 4, 5].forEach(function (n) {
      var star = el("button", { type: "button", class: "gt-star", "aria-pressed": "false", "aria-label": n + (n > 1 ? " stars" : " star"), "data-score": String(n) }, "\u2605");
      star.addEventListener("click", function () {
        chosen = n;
        Array.prototype.forEach.call(stars.children, function (s, i) { s.setAttribute("aria-pressed", String(i < n)); });
        done.disabled = false;
      });
      stars.appendChild(star);
    });
    var comment = el("textarea", { class: "gt-comment", rows: "2", maxlength: "1000", placeholder: "Anything to add? (optional)", "aria-label": "Comment" });
    var done = el("button", { type: "button", class: "gt-rate", disabled: "disabled" }, "Send rating");
    done.addEventListener("click", function () {
      request("POST", "/api/rating", { conversation_id: conversation, subject: ask.subject, score: chosen, comment: comment.value })
        .then(function (data) { ratingDone = ask.subject; rating.textContent = ""; rating.appendChild(el("p", { class: "gt-rating-question" }, data.message)); },
              function (error) { setStatus(error.message, null); });
    });
    [stars, comment, done].forEach(function (n) { rating.appendChild(n); });
  }

  function request(method, path, body) {
    return fetch(base + path, {
      method: method, headers: body ? { "Content-Type": "application/json" } : {}, body: body ? JSON.stringify(body) : undefined
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) throw new Error(data.error || UNREACHABLE);
        return data;
      });
    }, function () { throw new Error(UNREACHABLE + " Check your connection; we'll keep trying."); });
  }
  var retryAction = null;
  function setStatus(text, action) {
    statusText.textContent = text; retryAction = action; retry.hidden = !action;
    status.className = text ? "gt-status gt-shown" : "gt-status";
  }
  function recovered() { if (statusText.textContent.indexOf(UNREACHABLE) === 0) setStatus("", null); }
  retry.addEventListener("click", function () { var action = retryAction; setStatus("", null); if (action) action(); });

  function refresh() {
    return request("GET", "/api/history?conversation_id=" + encodeURIComponent(conversation))
      .then(function (data) { recovered(); render(data); return true; },
            function (error) { if (!statusText.textContent) setStatus(error.message, refresh); return false; });
  }

  function submit(text, shown) {
    if (busy || !text.trim() || text.length > LIMIT) return;
    busy = true; send.disabled = true; setStatus("", null); chips([]);
    var echo = { text: shown || text.trim(), node: bubble("customer", shown || text.trim(), null, "") };
    echo.node.classList.add("gt-pending"); pending.push(echo); scrollDown();
    if (text === input.value) { input.value = ""; count(); }
    showTyping(person ? "" : "The assistant is typing\u2026");
    markStarted(); listen();
    request("POST", "/api/messages", { conversation_id: conversation, text: text, customer_token: token || undefined,
                                       client_key: clientKey, locale: locale || undefined, timezone: timezone || undefined })
      .then(function () { echo.node.classList.remove("gt-pending"); return refresh(); },
            function (error) { failed(echo, text, shown, error.message); })
      .then(function () { busy = false; send.disabled = false; showState((view && view.state) || {}); input.focus(); });
  }
  function failed(echo, text, shown, message) {
    pending.splice(pending.indexOf(echo), 1);
    echo.node.classList.replace("gt-pending", "gt-failed");
    var again = el("button", { type: "button", class: "gt-retry" }, "Not sent \u00b7 Retry");
    again.addEventListener("click", function () { echo.node.remove(); submit(text, shown); });
    echo.node.querySelector(".gt-msg").appendChild(again);
    setStatus(message, null);
  }

  function count() {
    var n = input.value.length, over = n - LIMIT;
    counter.textContent = over > 0 ? over + " characters over the " + LIMIT.toLocaleString() + " limit; please shorten it."
      : n >= WARN_AT ? n.toLocaleString() + " / " + LIMIT.toLocaleString() : "";
    counter.className = over > 0 ? "gt-count gt-over" : "gt-count";
    send.disabled = busy || over > 0;
  }

  function alertUnread(n) {
    unread += n;
    badge.textContent = String(unread); badge.hidden = false;
    badge.setAttribute("aria-label", unread + " new message" + (unread > 1 ? "s" : ""));
    if (!flashing) flashing = setInterval(function () {
      document.title = document.title === pageTitle ? "(" + unread + ") New message" : pageTitle;
    }, 1200);
  }
  function clearUnread() {
    unread = 0; badge.hidden = true; badge.textContent = "";
    if (flashing) { clearInterval(flashing); flashing = null; document.title = pageTitle; }
  }

  function listen() {
    // Server-sent events while the page is open; polling with back-off where they fail.
    if (stream || pollTimer) return;
    if (!window.EventSource) { poll(); return; }
    stream = new EventSource(base + "/api/events?conversation_id=" + encodeURIComponent(conversation));
    stream.addEventListener("state", function (event) { recovered(); render(JSON.parse(event.data)); });
    stream.addEventListener("error", function () {
      if (stream.readyState === EventSource.CLOSED) { stream = null; poll(); }  // refused: fall back
    });
  }
  function poll() {
    pollTimer = setTimeout(function () {
      refresh().then(function (ok) { pollDelay = ok ? POLL_MIN : Math.min(pollDelay * 2, POLL_MAX); pollTimer = null; listen(); });
    }, pollDelay);
  }

  function open(isOpen) {
    root.className = isOpen ? "gt-open" : "gt-closed";
    launcher.setAttribute("aria-expanded", String(isOpen));
    sessionStorage.setItem("gt-widget-open", isOpen ? "1" : "");
    if (isOpen) { clearUnread(); refresh(); input.focus(); } else { launcher.focus(); }
  }

  copy.addEventListener("click", function () {
    request("POST", "/api/copy", { conversation_id: conversation })
      .then(function (data) { notice(data.message); scrollDown(); }, function (error) { setStatus(error.message, null); });
  });
  form.addEventListener("submit", function (event) { event.preventDefault(); submit(input.value); });
  input.addEventListener("input", count);
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); submit(input.value); }
  });
  launcher.addEventListener("click", function () { open(root.className !== "gt-open"); });
  close.addEventListener("click", function () { open(false); });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && root.className === "gt-open") open(false);
  });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible" && root.className === "gt-open") clearUnread();
  });
  window.addEventListener("online", function () { refresh(); });
  // Leaving the page: say so (a browser may keep the stream's connection open for a while),
  // so a person's later answer is emailed; a page restored from the back-forward cache listens again.
  window.addEventListener("pagehide", function () {
    if (!stream) return;
    stream.close(); stream = null;
    navigator.sendBeacon(base + "/api/left", JSON.stringify({ conversation_id: conversation }));
  });
  window.addEventListener("pageshow", function (event) { if (event.persisted && readStore().started) listen(); });
  if (sessionStorage.getItem("gt-widget-open")) open(true); else if (readStore().started) refresh();
  if (readStore().started) listen();
})();
