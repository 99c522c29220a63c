// Supervisors' dashboard: crisis alerts arrive over /ws/dashboard/ at once; the table also
// refreshes itself every few seconds (htmx), and at once when an alert arrives.
pixelPage("alerts", function (alerts) {
  "use strict";
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
  pixelSocket("/ws/dashboard/", {
    message: function (ev) { if (ev.type === "crisis.flag" || ev.type === "crisis.alert") show(ev); },
    stop: function (e) { return e.code >= 4400 && e.code < 4500; },
  });
});
