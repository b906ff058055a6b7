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

// Results dashboard: tiles and selects filter the clause table, headers sort it, times read in local time, and
// a focused clause is scrolled to.
(function () {
  "use strict";
  document.querySelectorAll("time[datetime]").forEach(function (t) {
    var d = new Date(t.getAttribute("datetime"));
    if (!isNaN(d.getTime())) { t.textContent = d.toLocaleString(); t.title = t.getAttribute("datetime"); }
  });
  var table = document.getElementById("clause-table");
  if (!table) { return; }
  var rows = Array.prototype.slice.call(table.tBodies[0].rows);
  var fv = document.getElementById("f-verdict"), fs = document.getElementById("f-severity"), fg = document.getElementById("f-group");
  var count = document.getElementById("f-count");
  var gapTable = document.getElementById("gap-table");
  var gapRows = gapTable ? Array.prototype.slice.call(gapTable.tBodies[0].rows) : [];
  // The same filters narrow the clause table and the gap list; returns how many rows are left.
  function filter(list) {
    var shown = 0;
    list.forEach(function (r) {
      var ok = (!fv.value || r.getAttribute("data-verdict") === fv.value) &&
        (!fs.value || (" " + r.getAttribute("data-severities") + " ").indexOf(" " + fs.value + " ") >= 0) &&
        (!fg.value || r.getAttribute("data-group") === fg.value);
      r.hidden = !ok;
      if (ok) { shown += 1; }
    });
    return shown;
  }
  function apply() {
    var shown = filter(rows), gapsShown = filter(gapRows);
    count.textContent = shown + " of " + rows.length + " clauses" + (gapRows.length ? ", " + gapsShown + " of " + gapRows.length + " gaps" : "");
    document.querySelectorAll(".tile").forEach(function (t) { t.classList.toggle("active", t.getAttribute("data-verdict") === fv.value); });
  }
  [fv, fs, fg].forEach(function (s) { s.addEventListener("change", apply); });
  document.querySelectorAll(".tile").forEach(function (t) {
    t.addEventListener("click", function () {
      var v = t.getAttribute("data-verdict");
      fv.value = fv.value === v ? "" : v;
      apply();
      document.getElementById("filters").scrollIntoView();
    });
  });
  var order = { met: 0, partial: 1, missing: 2, not_applicable: 3 };
  function key(r, i, kind) {
    var text = r.cells[i].textContent.trim();
    if (kind === "clause") { return text.split(".").map(function (p) { return ("000" + p).slice(-3); }).join("."); }
    if (kind === "number") { return ("000000" + text).slice(-6); }
    if (kind === "verdict") { return String(order[r.getAttribute("data-verdict")]); }
    return text.toLowerCase();
  }
  Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, i) {
    th.classList.add("sortable");
    th.addEventListener("click", function () {
      var kind = th.getAttribute("data-sort"), dir = th.getAttribute("data-dir") === "asc" ? -1 : 1;
      th.setAttribute("data-dir", dir === 1 ? "asc" : "desc");
      rows.sort(function (a, b) { var x = key(a, i, kind), y = key(b, i, kind); return x < y ? -dir : x > y ? dir : 0; });
      rows.forEach(function (r) { table.tBodies[0].appendChild(r); });
    });
  });
  apply();
  var focus = table.querySelector("tr.focus");
  if (focus) { focus.scrollIntoView({ block: "center" }); }
})();
