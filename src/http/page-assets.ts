/**
 * The status page's stylesheet and script, served as app.css and app.js (same origin, so a strict
 * Content-Security-Policy holds). The script only listens to the event stream and swaps in the live
 * part; without it the page is a complete static snapshot.
 */

export const APP_CSS = `
:root { font-family: system-ui, sans-serif; color: #111; background: #f7f7f8; }
body { margin: 0 auto; max-width: 72rem; padding: 0.5rem 1rem 2rem; }
header { display: flex; justify-content: space-between; align-items: baseline; flex-wrap: wrap; }
h1 { font-size: 1.4rem; margin: 0.5rem 0; }
h2 { font-size: 1.1rem; margin: 0.2rem 0; overflow-wrap: anywhere; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(18rem, 1fr)); gap: 0.8rem; }
.ups { background: #fff; border-radius: 0.5rem; padding: 0.8rem; border-left: 0.5rem solid #16a34a; }
.ups.warn { border-left-color: #d97706; }
.ups.crit { border-left-color: #dc2626; }
.status { font-size: 1.25rem; font-weight: 600; margin: 0.3rem 0; }
.desc, .small { color: #555; font-size: 0.85rem; margin: 0.2rem 0; }
table { border-collapse: collapse; width: 100%; }
th { text-align: left; font-weight: normal; color: #555; padding: 0.1rem 0.5rem 0.1rem 0; }
td { text-align: right; overflow-wrap: anywhere; }
.charts { display: grid; grid-template-columns: 1fr 1fr; gap: 0.4rem; margin-top: 0.5rem; }
.chart { margin: 0; }
.chart figcaption { font-size: 0.8rem; display: flex; justify-content: space-between; }
.chart svg { width: 100%; height: 3.5rem; display: block; background: #fafafa; }
.chart .range { font-size: 0.7rem; color: #777; display: flex; justify-content: space-between; }
.nodata { font-size: 0.8rem; color: #888; margin: 0.5rem 0; }
.decision { background: #fff; border-radius: 0.5rem; padding: 0.4rem 0.8rem; margin-bottom: 0.8rem; }
.decision .crit { color: #b91c1c; } .decision .ok { color: #15803d; }
.events { padding-left: 1.2rem; font-size: 0.9rem; } .events time { color: #555; }
@media (max-width: 30rem) { body { padding: 0.3rem; } .charts { grid-template-columns: 1fr; } }
`;

export const APP_JS = `"use strict";
(function () {
  var live = document.getElementById("live");
  var conn = document.getElementById("conn");
  if (!live || !window.EventSource || !window.fetch) return;
  var timer = null;
  function refresh() {
    if (timer) return;
    timer = setTimeout(function () {
      fetch("live", { cache: "no-store", credentials: "same-origin" })
        .then(function (r) { if (!r.ok) throw new Error(r.status); return r.text(); })
        .then(function (html) { live.innerHTML = html; timer = null; },
              function () { timer = null; });
    }, 150);
  }
  var es = new EventSource("api/v1/events/stream");
  ["notification", "status", "link", "round", "shutdown", "reload"].forEach(function (k) {
    es.addEventListener(k, refresh);
  });
  es.onopen = function () { conn.textContent = "live"; refresh(); };
  es.onerror = function () { conn.textContent = "reconnecting..."; };
  setInterval(refresh, 30000);
})();
`;
