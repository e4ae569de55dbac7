// Tally supervisor pages: the little script they need (served from /web/static: the CSP allows no inline script).
"use strict";

// Forms that change something important ask first: <form data-confirm="...">.
document.addEventListener("submit", (event) => {
  const form = event.target;
  const question = form.getAttribute && form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});

// Devices: a server-sent-events stream says when sync status moved; then only the table body is fetched again.
function startLiveDevices() {
  const live = document.getElementById("live");
  const rows = document.getElementById("device-rows");
  if (!live || !rows || !("EventSource" in window)) {
    return;
  }
  const text = live.querySelector(".live-text");
  const show = (on) => {
    live.classList.toggle("on", on);
    live.classList.toggle("off", !on);
    const stamp = new Date().toISOString().slice(11, 19);
    text.textContent = (on ? live.dataset.on : live.dataset.off) + " · " + stamp + " UTC";
  };
  let busy = false;
  const refresh = async () => {
    if (busy) return;
    busy = true;
    try {
      const response = await fetch(live.dataset.rows, { credentials: "same-origin", headers: { Accept: "text/html" } });
      if (response.ok && response.url.indexOf("/web/login") === -1) {
        rows.innerHTML = await response.text();
        show(true);
        document.dispatchEvent(new CustomEvent("tally:devices-refreshed"));
      } else {
        show(false);
      }
    } catch (error) {
      show(false);
    } finally {
      busy = false;
    }
  };
  const source = new EventSource(live.dataset.stream);
  source.addEventListener("hello", () => show(true));
  source.addEventListener("devices", refresh);
  source.addEventListener("error", () => {
    if (source.readyState === EventSource.CLOSED) show(false);
  });
}

document.addEventListener("DOMContentLoaded", startLiveDevices);
