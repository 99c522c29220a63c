// Supervisors' dashboard: crisis alerts arrive over /ws/dashboard/ at once; the table also
// refreshes itself every few seconds (htmx), and at once when an alert arrives.
// The table refreshing itself is the page, not the person: its requests say so (X-Pixel-Poll), and
// the server does not count them as activity, so an unattended dashboard still signs out after
// PIXEL_IDLE_MINUTES (accounts.middleware.IdleSessionMiddleware).
document.addEventListener("htmx:configRequest", function (e) {
  if (/\bevery\b/.test(e.detail.elt.getAttribute("hx-trigger") || "")) e.detail.headers["X-Pixel-Poll"] = "1";
});
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
