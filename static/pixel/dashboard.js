// Supervisors' dashboard: crisis alerts arrive over /ws/dashboard/ at once; the table also
// refreshes itself every few seconds (htmx), and at once when an alert arrives.
(function () {
  "use strict";
  const alerts = document.getElementById("alerts");
  if (!alerts) return;
  let retry = 0;
  function show(ev) {
    const p = document.createElement("p");
    p.className = "message error";
    const who = ev.speaker === "trainee" ? "The trainee " + ev.trainee + " wrote something that may mean they need support" : ev.trainee + "'s client disclosed risk";
    p.append(who + " (" + ev.level + (ev.categories && ev.categories.length ? ": " + ev.categories.join(", ") : "") + ", " + ev.scenario + "). ");
    const a = document.createElement("a");
    a.href = "/supervision/sessions/" + ev.session + "/observe/";
    a.textContent = "Observe now";
    p.append(a);
    alerts.prepend(p);
    document.body.dispatchEvent(new Event("pixel-refresh"));
  }
  function connect() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const socket = new WebSocket(scheme + location.host + "/ws/dashboard/");
    socket.onopen = function () { retry = 0; };
    socket.onmessage = function (e) {
      const ev = JSON.parse(e.data);
      if (ev.type === "crisis.flag" || ev.type === "crisis.alert") show(ev);
    };
    socket.onclose = function (e) {
      if (e.code >= 4400 && e.code < 4500) return;
      retry = Math.min(retry + 1, 6);
      setTimeout(connect, 300 * Math.pow(2, retry));
    };
  }
  connect();
})();
