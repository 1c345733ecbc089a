// Segments in the admin: each condition shows the parameters of its filter only, and the number of members
// matching the whole form is asked of the server (debounced) whenever a field changes.
(function () {
  "use strict";
  var DELAY_MS = 400;

  function showParameters(form) {
    form.querySelectorAll(".inline-related").forEach(function (row) {
      var select = row.querySelector("select[name$='-filter']");
      if (!select) { return; }
      row.querySelectorAll("[data-segment-param]").forEach(function (input) {
        var line = input.closest(".form-row") || input.parentElement;
        line.style.display = input.dataset.segmentParam === select.value ? "" : "none";
      });
    });
  }

  function start(form, output) {
    var timer = null;
    var asked = 0;
    var count = output.querySelector("[data-count]");
    var errors = output.querySelector("[data-errors]");

    function refresh() {
      var mine = ++asked;
      output.classList.add("segment-count-loading");
      fetch(output.dataset.url, {
        method: "POST", body: new FormData(form), credentials: "same-origin",
        headers: {"Accept": "application/json"}
      }).then(function (response) {
        return response.json().catch(function () { return {count: null, errors: [response.statusText]}; });
      }).then(function (answer) {
        if (mine !== asked) { return; }  // a later edit's answer is on its way: it wins
        output.classList.remove("segment-count-loading");
        output.classList.toggle("segment-count-invalid", answer.count === null);
        count.textContent = answer.count === null ? "—" : answer.text;
        output.dataset.count = answer.count === null ? "" : String(answer.count);
        errors.textContent = (answer.errors || []).join(" ");
      });
    }

    function later() {
      showParameters(form);
      clearTimeout(timer);
      timer = setTimeout(refresh, DELAY_MS);
    }

    form.addEventListener("input", later);
    form.addEventListener("change", later);
    document.addEventListener("formset:added", later);
    document.addEventListener("formset:removed", later);
    showParameters(form);
    refresh();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var output = document.getElementById("segment-count");
    var form = output && output.closest("form");
    if (form) { start(form, output); }
  });
})();
