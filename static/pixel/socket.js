// What the live pages share (session.js, observe.js, dashboard.js): their start, the look-up of
// their parts, and their WebSocket, whose protocol is in docs/simulator.md.
(function () {
  "use strict";
  const FIRST_DELAY_MS = 300;
  const MAX_DOUBLINGS = 6;

  // pixelPage(id, start) runs start(#id) once the page has an element #id: each script is loaded
  // by its own page only, but should do nothing where its markup is missing.
  window.pixelPage = function (id, start) {
    const root = document.getElementById(id);
    if (root) start(root);
  };

  // A form with data-confirm asks first (an inline onsubmit would be refused by the page's
  // Content-Security-Policy, which allows no inline script).
  document.addEventListener("submit", function (e) {
    const ask = e.target.dataset && e.target.dataset.confirm;
    if (ask && !window.confirm(ask)) e.preventDefault();
  });

  // The live pages find their parts once, at load: pixelElements("a", "b") is [#a, #b].
  window.pixelElements = function () {
    return Array.from(arguments, function (id) { return document.getElementById(id); });
  };

  // pixelSocket(path, hooks) connects at once and returns {send}. Hooks, all but `message` optional:
  //   open(send)   connected (again): send the resume frame and anything still unacknowledged
  //   message(ev)  one event from the server, already parsed
  //   stop(close)  true to stay closed (the session is over, or a 44xx refusal); may say why
  //   status       an element told when the connection is lost and being tried again
  // A dropped connection is tried again after a delay that doubles up to about 19 s, so a server
  // restart is not met by every open page at once. Nothing is resent from here: each page sends
  // its resume frame from `open`, and the server sends again whatever came after the seq it names.
  window.pixelSocket = function (path, hooks) {
    const url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + path;
    let socket = null;
    let retry = 0;

    function send(obj) {
      if (!socket || socket.readyState !== WebSocket.OPEN) return false;
      socket.send(JSON.stringify(obj));
      return true;
    }
    function connect() {
      socket = new WebSocket(url);
      socket.onopen = function () {
        retry = 0;
        if (hooks.open) hooks.open(send);
      };
      socket.onmessage = function (e) { hooks.message(JSON.parse(e.data)); };
      socket.onclose = function (e) {
        if (hooks.stop && hooks.stop(e)) return;
        retry = Math.min(retry + 1, MAX_DOUBLINGS);
        if (hooks.status) hooks.status.textContent = "Connection lost. Reconnecting…";
        setTimeout(connect, FIRST_DELAY_MS * Math.pow(2, retry));
      };
    }
    connect();
    return { send: send };
  };

  // pixelTags(ev) is the <span class="fb-tags"> for one `feedback` event (docs/feedback.md): the
  // behaviour code and the three empathy levels, as the trainee's page and the observe page show them.
  const EMPATHY = { emotional_reactions: "Emotional reactions", interpretations: "Interpretations", explorations: "Explorations" };
  window.pixelTags = function (ev) {
    const tags = document.createElement("span");
    tags.className = "fb-tags";
    (ev.codes || []).forEach(function (code, i) {
      const t = document.createElement("span");
      t.className = "fb-code fb-" + code;
      t.textContent = (ev.labels && ev.labels[i]) || code.replace(/_/g, " ");
      tags.append(t);
    });
    Object.keys(EMPATHY).forEach(function (k) {
      if (!ev.empathy || ev.empathy[k] === undefined) return;
      const t = document.createElement("span");
      t.className = "fb-emp fb-level-" + ev.empathy[k];
      t.textContent = EMPATHY[k] + " " + ev.empathy[k];
      tags.append(t);
    });
    return tags;
  };
})();
