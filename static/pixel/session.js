// Pixel live session: the trainee's side of /ws/sessions/<uuid>/ (protocol in docs/simulator.md).
// Messages carry an id made here; until the server acknowledges one it is kept in localStorage
// and sent again after a reconnect or reload, and the server stores each id once.
pixelPage("session", function (root) {
  "use strict";
  // Send is off while a reply is coming (busy) or the session is paused (refreshSend).
  let busy = false;
  let paused = root.dataset.status === "paused";
  const sendReason = document.getElementById("send-reason");
  const sessionId = root.dataset.session;
  const name = root.dataset.name;
  const [transcript, form, textarea, errorBox, conn, counter, observed] =
    pixelElements("transcript", "composer", "text", "error", "conn", "count", "observed");
  const maxChars = parseInt(root.dataset.maxChars, 10) || 2000;
  const storeKey = "pixel-unacked-" + sessionId;
  let lastSeq = parseInt(root.dataset.lastSeq, 10) || 0;
  let finished = false;
  // A page opened on a session under way starts at its latest message. Only the transcript's own
  // box scrolls: the window stays put, so on a phone the message box stays in view.
  transcript.scrollTop = transcript.scrollHeight;

  function unacked() {
    try { return JSON.parse(localStorage.getItem(storeKey) || "[]"); } catch (e) { return []; }
  }
  function saveUnacked(list) { localStorage.setItem(storeKey, JSON.stringify(list)); }
  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 12);
  }

  function line(role, text, attrs) {
    const li = document.createElement("li");
    li.className = "msg msg-" + role;
    for (const k in attrs || {}) li.dataset[k] = attrs[k];
    const who = document.createElement("span");
    who.className = "who";
    who.textContent = role === "trainee" ? "You" : name;
    const body = document.createElement("span");
    body.className = "text";
    body.textContent = text;
    li.append(who, " ", body);
    return li;
  }
  function streaming(replyTo, create) {
    let li = transcript.querySelector('li.streaming[data-reply-to="' + replyTo + '"]');
    if (!li && create) {
      li = line("client", "", { replyTo: replyTo, tokens: "0" });
      li.classList.add("streaming");
      li.setAttribute("aria-busy", "true");
      transcript.append(li);
    }
    return li;
  }
  function scrollDown() { transcript.lastElementChild && transcript.lastElementChild.scrollIntoView({ block: "end" }); }

  function onMessage(ev) {
    if (ev.seq <= lastSeq) return;
    lastSeq = ev.seq;
    if (ev.role === "trainee" && ev.id) {
      const pending = transcript.querySelector('li.pending[data-id="' + CSS.escape(ev.id) + '"]');
      if (pending) pending.remove();
    }
    if (ev.role === "client" && ev.reply_to) {
      const s = streaming(ev.reply_to, false);
      if (s) s.remove();
    }
    transcript.append(line(ev.role, ev.text, { seq: ev.seq }));
    if (ev.role === "client") { setBusy(false); if (retryButton) retryButton.hidden = true; }
    if (earlyFeedback[ev.seq]) { onFeedback(earlyFeedback[ev.seq]); delete earlyFeedback[ev.seq]; }
    scrollDown();
  }
  // Live skill tags (docs/feedback.md), when the cohort shows them: {"type":"feedback","seq","codes","labels","empathy"}.
  const earlyFeedback = {};
  function onFeedback(ev) {
    const li = transcript.querySelector('li.msg-trainee[data-seq="' + ev.seq + '"]');
    if (!li) { earlyFeedback[ev.seq] = ev; return; } // arrived before its message
    if (li.querySelector(".fb-tags")) return;
    li.append(pixelTags(ev));
  }
  // The live events come once; after a reload or reconnect the tags so far are fetched again.
  function loadTags() {
    if (!root.dataset.liveTags || !window.fetch) return;
    fetch(root.dataset.liveTags, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : { tags: [] }; })
      .then(function (data) { data.tags.forEach(onFeedback); })
      .catch(function () { /* tags are a nicety; the session goes on without them */ });
  }
  function onToken(ev) {
    const li = streaming(ev.reply_to, true);
    const have = parseInt(li.dataset.tokens, 10);
    if (ev.index !== have) return; // a repeat (already shown) or a gap (the next "partial" fills it)
    li.querySelector(".text").textContent += ev.text;
    li.dataset.tokens = String(have + 1);
    scrollDown();
  }
  function onPartial(ev) {
    const li = streaming(ev.reply_to, true);
    if (ev.tokens >= parseInt(li.dataset.tokens, 10)) {
      li.querySelector(".text").textContent = ev.text;
      li.dataset.tokens = String(ev.tokens);
    }
    setBusy(true);
  }
  function onAck(ev) {
    saveUnacked(unacked().filter(function (m) { return m.id !== ev.id; }));
    const pending = transcript.querySelector('li.pending[data-id="' + CSS.escape(String(ev.id)) + '"]');
    if (pending) pending.classList.add("stored");
  }
  function onError(ev) {
    errorBox.textContent = ev.message;
    if (ev.id !== undefined && ev.id !== null) {
      const list = unacked();
      const mine = list.find(function (m) { return m.id === ev.id; });
      saveUnacked(list.filter(function (m) { return m.id !== ev.id; }));
      const pending = transcript.querySelector('li.pending[data-id="' + CSS.escape(String(ev.id)) + '"]');
      if (pending) pending.remove();
      if (mine && !textarea.value) textarea.value = mine.text;
      setBusy(false);
    }
    if (ev.code === "certification_missing") finished = true;
  }
  // The model failed on a reply ({"type":"reply_failed","reply_to","message","retry"}): say so and
  // offer to ask again; the server checks the message is still the latest without a reply.
  const retryButton = document.getElementById("retry");
  function onReplyFailed(ev) {
    const li = streaming(ev.reply_to, false);
    if (li) li.remove();
    errorBox.textContent = ev.message;
    setBusy(false);
    if (ev.retry && retryButton) { retryButton.dataset.replyTo = String(ev.reply_to); retryButton.hidden = false; }
  }
  if (retryButton) {
    retryButton.addEventListener("click", function () {
      retryButton.hidden = true;
      errorBox.textContent = "";
      setBusy(true);
      live.send({ type: "retry", reply_to: parseInt(retryButton.dataset.replyTo, 10) });
    });
  }
  function onEnded(ev) {
    finished = true;
    conn.textContent = "The session has ended (" + ev.reason + "). Opening the summary…";
    setTimeout(function () { window.location = "/sessions/" + sessionId + "/summary/"; }, 1200);
  }
  function onWhisper(ev) {
    // A reconnect sends the whispers after the last message again: draw each once.
    if (ev.seq && transcript.querySelector('li.msg-whisper[data-seq="' + ev.seq + '"]')) return;
    const li = document.createElement("li");
    li.className = "msg msg-whisper";
    if (ev.seq) li.dataset.seq = String(ev.seq);
    const who = document.createElement("span");
    who.className = "who";
    who.textContent = "Private hint from " + ev.from;
    const body = document.createElement("span");
    body.className = "text";
    body.textContent = ev.text;
    li.append(who, " ", body);
    transcript.append(li);
    scrollDown();
  }
  // While the session is paused Send stays off, with the reason beside it; an error from before
  // the pause (a message refused because of it) is cleared when the session resumes.
  function onStatus(ev) {
    if (ev.status === "paused") {
      paused = true;
      conn.textContent = "The session is paused" + (ev.reason ? ": " + ev.reason : "") + ".";
    } else if (ev.status === "live") {
      if (paused) errorBox.textContent = "";
      paused = false;
      if (ev.reason) conn.textContent = "The session has resumed.";
    }
    refreshSend();
  }
  function onSupport(ev) {
    const panel = document.getElementById("support");
    document.getElementById("support-text").textContent = ev.support_message;
    const list = document.getElementById("support-resources");
    list.replaceChildren();
    (ev.support_resources || []).forEach(function (r) {
      const li = document.createElement("li");
      li.textContent = r.contact ? r.name + ": " + r.contact : r.name;
      list.append(li);
    });
    panel.hidden = false;
  }
  function setBusy(b) {
    busy = b;
    root.classList.toggle("busy", busy);
    refreshSend();
  }
  function refreshSend() {
    form.querySelector("button").disabled = busy || paused;
    if (sendReason) sendReason.textContent = paused ? "The session is paused. You can write again when it resumes." : "";
  }

  function onEvent(ev) {
    switch (ev.type) {
      case "message": onMessage(ev); break;
      case "token": onToken(ev); break;
      case "partial": onPartial(ev); break;
      case "discard": { const li = streaming(ev.reply_to, false); if (li) { li.querySelector(".text").textContent = ""; li.dataset.tokens = "0"; } break; }
      case "ack": onAck(ev); break;
      case "reply_failed": onReplyFailed(ev); break;
      case "error": onError(ev); break;
      case "ended": onEnded(ev); break;
      case "status": onStatus(ev); break;
      case "support": onSupport(ev); break;
      case "observer": observed.textContent = ev.name + " (your supervisor) is observing this session."; observed.hidden = false; break;
      case "whisper": onWhisper(ev); break;
      case "feedback": onFeedback(ev); break;
      default: break;
    }
  }
  function onOpen(send) {
    conn.textContent = "Connected.";
    send({ type: "resume", after: lastSeq });
    unacked().forEach(function (m) { send({ type: "message", id: m.id, text: m.text }); });
    loadTags();
  }
  function stayClosed(e) {
    if (e.code === 4401) conn.textContent = "Your sign-in has lapsed. Reload the page to sign in again.";
    return finished || e.code === 4401 || e.code === 4403 || e.code === 4404;
  }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    const text = textarea.value.trim();
    if (paused) return;  // Enter in the box would otherwise send past the disabled button
    errorBox.textContent = "";
    if (!text) { errorBox.textContent = "Write something before sending."; return; }
    if (text.length > maxChars) { errorBox.textContent = "Messages can be at most " + maxChars + " characters."; return; }
    const msg = { id: newId(), text: text };
    saveUnacked(unacked().concat([msg]));
    const li = line("trainee", text, { id: msg.id });
    li.classList.add("pending");
    transcript.append(li);
    textarea.value = "";
    counter.textContent = "";
    setBusy(true);
    scrollDown();
    // Offline, it waits in localStorage for the next open (onOpen).
    live.send({ type: "message", id: msg.id, text: text });
  });
  textarea.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); form.requestSubmit(); }
  });
  textarea.addEventListener("input", function () {
    const n = textarea.value.length;
    counter.textContent = n > maxChars * 0.8 ? n + " / " + maxChars : "";
  });
  if (transcript.querySelector("li.streaming")) setBusy(true);
  unacked().forEach(function (m) {
    const li = line("trainee", m.text, { id: m.id });
    li.classList.add("pending");
    transcript.append(li);
  });
  const live = pixelSocket(root.dataset.ws, { open: onOpen, message: onEvent, stop: stayClosed, status: conn });
});
