// Live progress of a running review: poll the status URL and reload when the review is done.
// Served by the binary itself; the Content-Security-Policy allows only same-origin scripts.
(function () {
  "use strict";
  var box = document.getElementById("progress");
  if (!box) { return; }
  var url = box.getAttribute("data-status-url");
  var bar = document.getElementById("progress-bar");
  var text = document.getElementById("progress-text");
  var file = document.getElementById("progress-file");
  function tick() {
    fetch(url, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.json(); })
      .then(function (s) {
        if (s.total) { bar.max = s.total; }
        bar.value = s.done;
        text.textContent = s.done + " / " + s.total;
        file.textContent = s.current || "";
        if (s.status !== "running") { window.location.reload(); } else { setTimeout(tick, 500); }
      })
      .catch(function () { setTimeout(tick, 1500); });
  }
  setTimeout(tick, 300);
})();
