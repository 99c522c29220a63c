// Observing a live session: the transcript and the reply as it streams, flags the trainee does
// not see, the client's state (openness, distress, what they have disclosed), and the
// interventions (whisper, pause, resume, take over, hand back, end).
pixelPage("observe", function (root) {
  "use strict";
  const sessionId = root.dataset.session;
  const clientName = root.dataset.name;
  const traineeName = root.dataset.trainee;
  const [transcript, conn, errorBox, flags, voice] = pixelElements("transcript", "conn", "error", "flags", "voice");
  let lastSeq = 0;
  transcript.querySelectorAll("li[data-seq]").forEach(function (li) { lastSeq = Math.max(lastSeq, parseInt(li.dataset.seq, 10)); });
  let ended = false;
  // The scenario card starts folded on a narrow screen, where it would push the transcript down.
  const card = document.getElementById("scenario-card");
  if (card && window.matchMedia && window.matchMedia("(max-width: 700px)").matches) card.open = false;

  function item(cls, who, text, seq) {
    const li = document.createElement("li");
    li.className = cls;
    const w = document.createElement("span");
    w.className = "who";
    w.textContent = who;
    const t = document.createElement("span");
    t.className = "text";
    t.textContent = text;
    if (seq) {
      // Numbered as the alerts cite them ("at message 5" links to #o-5).
      li.dataset.seq = seq;
      li.id = "o-" + seq;
      const n = document.createElement("span");
      n.className = "seq";
      n.textContent = "#" + seq;
      li.append(n, " ");
    }
    li.append(w, " ", t);
    transcript.append(li);
    li.scrollIntoView({ block: "end" });
    return li;
  }
  function streaming(replyTo) {
    let li = transcript.querySelector('li.streaming[data-reply-to="' + replyTo + '"]');
    if (!li) {
      li = item("msg msg-client streaming", clientName, "");
      li.dataset.replyTo = replyTo;
      li.dataset.tokens = "0";
    }
    return li;
  }
  function onMessage(ev) {
    if (ev.seq <= lastSeq) return;
    lastSeq = ev.seq;
    if (ev.reply_to) { const s = transcript.querySelector('li.streaming[data-reply-to="' + ev.reply_to + '"]'); if (s) s.remove(); }
    const who = ev.role === "trainee" ? traineeName : clientName + (ev.by_supervisor ? " (voiced by a supervisor)" : "");
    const li = item("msg msg-" + ev.role, who, ev.text, ev.seq);
    if (ev.crisis_level && ev.crisis_level !== "none") mark(li, ev.crisis_level);
    if (earlyTags[ev.seq]) { onFeedback(earlyTags[ev.seq]); delete earlyTags[ev.seq]; }
  }
  // Behaviour tags of each trainee message (feedback app): always shown here, whatever the
  // trainee's cohort shows them. Scoring can finish before the message reaches this page, and an
  // event can come twice; a message keeps the first set it gets.
  const earlyTags = {};
  function onFeedback(ev) {
    const li = transcript.querySelector('li.msg-trainee[data-seq="' + ev.seq + '"]');
    if (!li) { earlyTags[ev.seq] = ev; return; }
    if (li.querySelector(".fb-tags")) return;
    li.append(pixelTags(ev));
    refreshObjectives();
  }
  // The objectives panel, graded again on the server once a trainee message is scored (a verdict
  // rests on the scores). Events come in bursts after a reconnect: one fetch per burst.
  const objectivesUrl = root.dataset.objectivesUrl;
  let objectivesTimer = null;
  function refreshObjectives() {
    if (!objectivesUrl || !document.getElementById("card-objectives")) return;
    clearTimeout(objectivesTimer);
    objectivesTimer = setTimeout(function () {
      fetch(objectivesUrl, { credentials: "same-origin", headers: { Accept: "text/html" } })
        .then(function (r) { if (!r.ok) throw new Error(r.status); return r.text(); })
        .then(function (html) {
          const fresh = new DOMParser().parseFromString(html, "text/html").getElementById("card-objectives");
          const old = document.getElementById("card-objectives");
          if (fresh && old) old.replaceWith(document.adoptNode(fresh));
        })
        .catch(function () { /* the panel keeps its last verdicts; the next score tries again */ });
    }, 400);
  }
  function mark(li, level) {
    li.classList.add("flagged", "level-" + level);
    const who = li.querySelector(".who");
    if (!who.querySelector(".flag")) {
      const f = document.createElement("span");
      f.className = "flag flag-" + level;
      f.textContent = level;
      who.append(" · ", f);
    }
  }
  function onSessionEvent(ev) {
    if (ev.seq <= lastSeq) return;
    lastSeq = ev.seq;
    const labels = {
      whisper: "Whisper from " + ev.actor + ": " + (ev.data.text || ""),
      paused: "Paused by " + ev.actor, resumed: "Resumed by " + ev.actor, ended: "Session ended",
      takeover_started: ev.actor + " took over the client's voice", takeover_ended: ev.actor + " handed the client back to the model",
      observer_joined: ev.actor + " started observing", regeneration: "Persona guard regenerated a reply",
      crisis_flag: "Crisis flag", crisis_escalation: "Crisis escalation",
    };
    item("event event-" + ev.kind, "•", labels[ev.kind] || ev.kind, ev.seq);
    if (ev.kind === "takeover_started") voice.hidden = false;
    if (ev.kind === "takeover_ended") voice.hidden = true;
    if (ev.kind === "ended") { ended = true; conn.textContent = "The session has ended."; }
    if (ev.kind === "paused") showState("paused");
    if (ev.kind === "resumed") showState("live");
    if (ev.kind === "ended") showState("ended");
  }
  // Pause and Resume are one control that shows the session's state: only the one that applies
  // is offered, beside a label that says which state the session is in.
  const stateLabel = document.getElementById("state");
  function showState(status) {
    root.dataset.status = status;
    const pause = root.querySelector('button[data-command="pause"]');
    const resume = root.querySelector('button[data-command="resume"]');
    if (pause) pause.hidden = status !== "live";
    if (resume) resume.hidden = status !== "paused";
    if (stateLabel) {
      stateLabel.textContent = { live: "The session is live.", paused: "The session is paused.", ended: "The session has ended." }[status] || "";
      stateLabel.className = "state state-" + status;
    }
  }
  function onFlag(ev) {
    const li = transcript.querySelector('li[data-seq="' + ev.seq + '"]');
    if (li) mark(li, ev.level);
    if (flags.querySelector('p[data-seq="' + ev.seq + '"]')) return; // listed when the page was drawn
    const p = document.createElement("p");
    p.className = "message error flag-line level-" + ev.level;
    p.dataset.seq = ev.seq;
    p.textContent = (ev.type === "crisis.alert" ? "The trainee may need support: " : "Client risk disclosure: ") + ev.level + (ev.categories.length ? " (" + ev.categories.join(", ") + ")" : "") + " at ";
    const a = document.createElement("a");
    a.href = "#o-" + ev.seq;
    a.textContent = "message " + ev.seq;
    p.append(a, ".");
    flags.prepend(p);
  }
  // The client's state after a trainee message (simulator/clientstate.py). Events can arrive
  // again after a reconnect; an older state never replaces a newer one.
  const strip = document.getElementById("client-state");
  function onClientState(ev) {
    if (!strip || !ev.seq || ev.seq < parseInt(strip.dataset.seq || "0", 10)) return;
    strip.dataset.seq = String(ev.seq);
    document.getElementById("cs-openness").textContent = ev.openness;
    document.getElementById("cs-openness-meter").value = ev.openness;
    document.getElementById("cs-distress").textContent = ev.distress;
    document.getElementById("cs-distress-meter").value = ev.distress;
    document.getElementById("cs-mood").textContent = ev.mood || "ordinary";
    const reasons = (ev.reasons || []).join("; ") || "no change";
    const opened = (ev.newly_unlocked || []).length ? " Now disclosing: " + ev.newly_unlocked.join(", ") + "." : "";
    document.getElementById("cs-last").textContent = "After message " + ev.seq + ": " + reasons + "." + opened;
    const list = document.getElementById("cs-disclosed");
    list.replaceChildren();
    (ev.disclosed || []).forEach(function (d) {
      const li = document.createElement("li");
      li.textContent = d.id + " at message " + d.seq;
      list.append(li);
    });
    if (!list.children.length) {
      const li = document.createElement("li");
      li.className = "muted cs-none";
      li.textContent = "Nothing yet.";
      list.append(li);
    }
  }
  function onEvent(ev) {
    switch (ev.type) {
      case "message": onMessage(ev); break;
      case "event": onSessionEvent(ev); break;
      case "token": { const li = streaming(ev.reply_to); if (ev.index === parseInt(li.dataset.tokens, 10)) { li.querySelector(".text").textContent += ev.text; li.dataset.tokens = String(ev.index + 1); } break; }
      case "partial": { const li = streaming(ev.reply_to); li.querySelector(".text").textContent = ev.text; li.dataset.tokens = String(ev.tokens); break; }
      case "discard": { const li = transcript.querySelector('li.streaming[data-reply-to="' + ev.reply_to + '"]'); if (li) li.remove(); break; }
      case "crisis.flag": case "crisis.alert": onFlag(ev); break;
      case "client_state": onClientState(ev); break;
      case "feedback": onFeedback(ev); break;
      case "status": conn.textContent = ev.status === "paused" ? "Paused." : ev.status === "ended" ? "The session has ended." : "Observing live."; showState(ev.status); break;
      case "ended": ended = true; conn.textContent = "The session has ended."; break;
      case "error": errorBox.textContent = ev.message; break;
      default: break;
    }
  }
  function send(obj) {
    if (live.send(obj)) return true;
    errorBox.textContent = "Not connected; try again in a moment.";
    return false;
  }
  document.getElementById("whisper").addEventListener("submit", function (e) {
    e.preventDefault();
    const input = document.getElementById("whisper-text");
    errorBox.textContent = "";
    if (send({ type: "whisper", text: input.value })) input.value = "";
  });
  root.querySelectorAll("button[data-command]").forEach(function (b) {
    b.addEventListener("click", function () {
      errorBox.textContent = "";
      if (b.dataset.command === "end" && !confirm("End this session for the trainee?")) return;
      send({ type: b.dataset.command });
    });
  });
  voice.addEventListener("submit", function (e) {
    e.preventDefault();
    const t = document.getElementById("voice-text");
    const id = (window.crypto && crypto.randomUUID) ? crypto.randomUUID() : String(Date.now()) + Math.random();
    if (send({ type: "client_message", id: id, text: t.value })) t.value = "";
  });
  const live = pixelSocket("/ws/observe/" + sessionId + "/", {
    open: function (send) { conn.textContent = "Observing live."; send({ type: "resume_feed", after: lastSeq }); },
    message: onEvent,
    stop: function (e) {
      if (e.code === 4404) conn.textContent = "You may not observe this session.";
      return ended || (e.code >= 4400 && e.code < 4500);
    },
    status: conn,
  });
});
