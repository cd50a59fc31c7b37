/* The help widget. Embed with one tag:
 *   <script src="https://support.example/static/widget.js" data-customer-token="JWT" defer></script>
 * No dependencies. Every text goes into the page with textContent, never innerHTML, so a
 * message with HTML in it is shown as text. The conversation id lives in localStorage, so
 * the conversation survives a reload; the history comes from the server, which also
 * brings the messages a person from the support team writes. */
(function () {
  "use strict";
  var script = document.currentScript;
  var base = new URL(script.src).origin;
  var token = script.getAttribute("data-customer-token") || "";
  var title = script.getAttribute("data-title") || "Help";
  var POLL_MS = 4000;
  var URL_PATTERN = /(https?:\/\/[^\s<>"']+)/g;

  function conversationId() {
    // A new visitor or another signed-in customer on this browser gets a new conversation.
    // The token's email claim, read without verifying (the server verifies): a host page
    // issues a fresh token on every load, and that must not start a new conversation.
    var owner = token ? tokenEmail(token) : "visitor";
    var stored = {};
    try { stored = JSON.parse(localStorage.getItem("gt-widget") || "{}"); } catch (e) { stored = {}; }
    if (stored.owner !== owner || !stored.id || !stored.key) {
      // The key is this browser's own secret for the conversation: an emailed code proves the
      // customer only together with it, so knowing the conversation id is never enough.
      stored = { owner: owner, id: (crypto.randomUUID ? crypto.randomUUID() : fallbackId()), key: fallbackId() + fallbackId() };
      localStorage.setItem("gt-widget", JSON.stringify(stored));
    }
    return stored;
  }

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

  var stored = conversationId();
  var conversation = stored.id, clientKey = stored.key;
  var locale = navigator.language || "";
  var timezone = (Intl.DateTimeFormat().resolvedOptions() || {}).timeZone || "";
  var rendered = 0;
  var busy = false;

  var style = el("link", { rel: "stylesheet", href: base + "/static/widget.css" });
  document.head.appendChild(style);
  var root = el("div", { id: "gt-widget", class: "gt-closed" });
  var launcher = el("button", { type: "button", class: "gt-launcher", "aria-expanded": "false",
                                 "aria-controls": "gt-panel" }, title);
  var panel = el("section", { id: "gt-panel", class: "gt-panel", role: "dialog", "aria-label": title });
  var header = el("header", { class: "gt-header" });
  header.appendChild(el("h2", {}, title));
  var close = el("button", { type: "button", class: "gt-close", "aria-label": "Close the chat" }, "\u00d7");
  header.appendChild(close);
  var log = el("div", { class: "gt-log", role: "log", "aria-live": "polite", "aria-relevant": "additions",
                        tabindex: "0" });
  var typing = el("p", { class: "gt-typing", hidden: "hidden", "aria-live": "polite" }, "The assistant is typing\u2026");
  var status = el("p", { class: "gt-status", role: "status" });
  var statusFrom = null;  // "history" or "send": a slow history load must not wipe a failed send's notice
  function setStatus(text, from) { status.textContent = text; statusFrom = text ? from : null; }
  var replies = el("div", { class: "gt-replies", role: "group", "aria-label": "Suggested replies" });
  var form = el("form", { class: "gt-form" });
  var label = el("label", { for: "gt-input", class: "gt-sr" }, "Your message");
  var input = el("textarea", { id: "gt-input", rows: "2", maxlength: "2000", placeholder: "Write a message\u2026" });
  var send = el("button", { type: "submit" }, "Send");
  form.appendChild(label); form.appendChild(input); form.appendChild(send);
  [header, log, typing, status, replies, form].forEach(function (n) { panel.appendChild(n); });
  root.appendChild(panel); root.appendChild(launcher);
  document.body.appendChild(root);

  function writeText(node, text) {
    // Line breaks become <br>, addresses become links; everything else stays text.
    text.split("\n").forEach(function (line, i) {
      if (i > 0) node.appendChild(document.createElement("br"));
      var last = 0;
      line.replace(URL_PATTERN, function (url, _m, offset) {
        node.appendChild(document.createTextNode(line.slice(last, offset)));
        var a = el("a", { href: url, target: "_blank", rel: "noopener noreferrer" }, url);
        node.appendChild(a);
        last = offset + url.length;
        return url;
      });
      node.appendChild(document.createTextNode(line.slice(last)));
    });
  }

  function addMessage(who, text) {
    var item = el("div", { class: "gt-msg gt-" + who });
    item.appendChild(el("span", { class: "gt-sr" }, { customer: "You: ", assistant: "Assistant: ", agent: "Support team: " }[who] || ""));
    var body = el("span", { class: "gt-text" });
    writeText(body, text);
    item.appendChild(body);
    log.appendChild(item);
    log.scrollTop = log.scrollHeight;
  }

  function showReplies(buttons) {
    replies.textContent = "";
    (buttons || []).forEach(function (b) {
      var button = el("button", { type: "button", class: "gt-reply" }, b.title);
      button.addEventListener("click", function () { submit(b.payload, b.title); });
      replies.appendChild(button);
    });
  }

  function render(messages) {
    messages.slice(rendered).forEach(function (m) { addMessage(m.who, m.text); });
    rendered = Math.max(rendered, messages.length);
    var last = messages[messages.length - 1];
    showReplies(last && last.who !== "customer" ? last.buttons : []);
  }

  function request(method, path, body) {
    return fetch(base + path, {
      method: method, headers: body ? { "Content-Type": "application/json" } : {},
      body: body ? JSON.stringify(body) : undefined
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) throw new Error(data.error || "The assistant can't be reached right now.");
        return data;
      });
    }, function () { throw new Error("The assistant can't be reached right now. Your message wasn't sent; please try again in a moment."); });
  }

  function refresh() {
    return request("GET", "/api/history?conversation_id=" + encodeURIComponent(conversation)).then(function (data) {
      if (statusFrom === "history") setStatus("", null);
      render(data.messages || []);
    }, function (error) { if (statusFrom !== "send") setStatus(error.message, "history"); });
  }

  function submit(text, shown) {
    if (busy || !text.trim()) return;
    busy = true; send.disabled = true; typing.hidden = false; setStatus("", null);
    showReplies([]);
    request("POST", "/api/messages", { conversation_id: conversation, text: text, customer_token: token || undefined,
                                       client_key: clientKey, locale: locale || undefined, timezone: timezone || undefined })
      .then(function () { input.value = ""; return refresh(); },
            function (error) {
              setStatus(error.message, "send");
              if (shown === undefined) input.value = text;  // keep what they wrote
            })
      .then(function () { busy = false; send.disabled = false; typing.hidden = true; input.focus(); });
  }

  function open(isOpen) {
    root.className = isOpen ? "gt-open" : "gt-closed";
    launcher.setAttribute("aria-expanded", String(isOpen));
    sessionStorage.setItem("gt-widget-open", isOpen ? "1" : "");
    if (isOpen) { refresh(); input.focus(); } else { launcher.focus(); }
  }

  form.addEventListener("submit", function (event) { event.preventDefault(); submit(input.value); });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); submit(input.value); }
  });
  launcher.addEventListener("click", function () { open(root.className !== "gt-open"); });
  close.addEventListener("click", function () { open(false); });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && root.className === "gt-open") open(false);
  });
  setInterval(function () {
    if (root.className === "gt-open" && !busy && document.visibilityState === "visible") refresh();
  }, POLL_MS);
  if (sessionStorage.getItem("gt-widget-open")) open(true);
})();
