// Mass sends in the admin: while a job runs, its progress bar, rate and time left refresh every 2 seconds.
(function () {
  "use strict";
  function refresh(box) {
    fetch(box.dataset.url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (figures) {
        if (!figures) { return; }
        var bar = box.querySelector("progress");
        bar.max = Math.max(figures.total, 1);
        bar.value = figures.processed;
        ["issued", "total", "rate", "eta"].forEach(function (name) {
          document.querySelectorAll('[data-figure="' + name + '"]').forEach(function (cell) {
            if (box.contains(cell) || !cell.closest(".issuance-progress")) { cell.textContent = figures[name]; }
          });
        });
        if (figures.status === "pending" || figures.status === "running") {
          setTimeout(function () { refresh(box); }, 2000);
        }
      });
  }
  document.addEventListener("DOMContentLoaded", function () {
    var boxes = document.querySelectorAll(".issuance-progress[data-running='1']");
    if (boxes.length === 1) { setTimeout(function () { refresh(boxes[0]); }, 2000); }
  });
})();
