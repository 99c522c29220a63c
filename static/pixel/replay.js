// Replay a recorded session (docs/supervision.md, "Replay").
//
// The page already shows the whole transcript; this only adds playback. It reads the recording
// from the JSON blob the server embedded (#recording: {started_at, items: [{seq, offset, ...}]}),
// hides what has not "happened" yet and reveals each item after the real gap to the previous one,
// divided by the chosen speed. Without JavaScript the page stays a plain static transcript.
(function () {
  "use strict";

  // Long silences (a pause, a supervisor's check-in) are shortened to this many seconds at 1×,
  // so playback never seems to hang. The clock still shows the recording's own times.
  const MAX_GAP_SECONDS = 30;

  const blob = document.getElementById("recording");
  const player = document.getElementById("player");
  const list = document.getElementById("replay-transcript");
  if (!blob || !player || !list) return;
  const items = (JSON.parse(blob.textContent).items || []).slice().sort((a, b) => a.seq - b.seq);
  if (!items.length) return;

  const rows = items.map((item) => document.getElementById("m-" + item.seq));
  const playButton = document.getElementById("replay-play");
  const speedSelect = document.getElementById("replay-speed");
  const allButton = document.getElementById("replay-all");
  const clock = document.getElementById("replay-clock");
  const status = document.getElementById("replay-status");
  const reduceMotion = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  const total = items[items.length - 1].offset;

  let position = items.length - 1; // index of the last item shown
  let replaying = false; // false: everything is shown, as without JavaScript
  let timer = null;

  function clockText(seconds) {
    const s = Math.max(0, Math.floor(seconds));
    const h = Math.floor(s / 3600);
    const m = Math.floor((s % 3600) / 60);
    const rest = String(s % 60).padStart(2, "0");
    return h ? h + ":" + String(m).padStart(2, "0") + ":" + rest : m + ":" + rest;
  }

  function say(text) {
    status.textContent = text;
  }

  function speed() {
    return Number(speedSelect.value) || 1;
  }

  function showUpTo(index) {
    position = index;
    rows.forEach((row, k) => {
      if (!row) return;
      row.classList.toggle("replay-hidden", replaying && k > index);
      row.classList.toggle("current", replaying && k === index);
    });
    clock.textContent = clockText(replaying ? items[index].offset : total) + " / " + clockText(total);
  }

  function bringIntoView(row) {
    if (row) row.scrollIntoView({ block: "nearest", behavior: reduceMotion ? "auto" : "smooth" });
  }

  function setPlaying(playing) {
    playButton.textContent = playing ? "Pause" : "Play";
    playButton.setAttribute("aria-pressed", playing ? "true" : "false");
  }

  function stop(message) {
    clearTimeout(timer);
    timer = null;
    setPlaying(false);
    if (message) say(message);
  }

  function scheduleNext() {
    clearTimeout(timer);
    if (position >= items.length - 1) {
      stop("End of the recording.");
      return;
    }
    const gap = Math.min(Math.max(items[position + 1].offset - items[position].offset, 0), MAX_GAP_SECONDS);
    timer = setTimeout(() => {
      showUpTo(position + 1);
      bringIntoView(rows[position]);
      const item = items[position];
      // Flags are the moments a supervisor replays for; announce them, but not every message.
      if (item.flagged || item.kind === "crisis_flag" || item.kind === "crisis_escalation") {
        say("Flag at " + clockText(item.offset) + ".");
      }
      scheduleNext();
    }, (gap * 1000) / speed());
  }

  function play() {
    if (!replaying || position >= items.length - 1) {
      replaying = true;
      showUpTo(0);
      bringIntoView(rows[0]);
    }
    setPlaying(true);
    say("Playing at " + speed() + "×.");
    scheduleNext();
  }

  playButton.addEventListener("click", () => {
    if (timer !== null) stop("Paused at " + clockText(items[position].offset) + ".");
    else play();
  });

  speedSelect.addEventListener("change", () => {
    if (timer !== null) {
      say("Playing at " + speed() + "×.");
      scheduleNext();
    }
  });

  allButton.addEventListener("click", () => {
    stop("Showing the whole recording.");
    replaying = false;
    showUpTo(items.length - 1);
  });

  // A timeline marker (or any link to #m-<seq>) during playback jumps there: everything up to that
  // point is shown and playback carries on from it. Runs before the browser follows the link, so
  // the target is visible when the browser scrolls to it.
  document.addEventListener("click", (event) => {
    const link = event.target.closest && event.target.closest('a[href^="#m-"]');
    if (!link || !replaying) return;
    const seq = Number(link.getAttribute("href").slice(3));
    const index = items.findIndex((item) => item.seq === seq);
    if (index < 0) return;
    showUpTo(index);
    say("Jumped to " + clockText(items[index].offset) + ".");
    if (timer !== null) scheduleNext();
  });

  player.hidden = false;
  // The sticky player covers the top of the page: jumps to a message leave room for it (review.css).
  function notePlayerHeight() {
    document.documentElement.style.setProperty("--player-height", player.offsetHeight + "px");
  }
  notePlayerHeight();
  window.addEventListener("resize", notePlayerHeight);
  setPlaying(false);
  showUpTo(position);
})();
