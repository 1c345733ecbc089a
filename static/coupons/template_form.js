// The coupon template form, guided: the kind first, then only that kind's fields; the product list only for
// product coupons; the dates or the days of the chosen validity; codes already in use one click away.
(function () {
  "use strict";
  function row(name) { return document.querySelector(".form-row.field-" + name) || document.querySelector(".fieldBox.field-" + name); }
  function show(name, visible) { var r = row(name); if (r) { r.hidden = !visible; } }
  function guide() {
    var kind = document.getElementById("id_kind");
    if (kind && kind.dataset.kindFields) {
      var byKind = JSON.parse(kind.dataset.kindFields), all = [];
      Object.keys(byKind).forEach(function (code) { all = all.concat(byKind[code]); });
      var chosen = byKind[kind.value] || [];
      all.forEach(function (name) { show(name, chosen.indexOf(name) !== -1); });
    }
    var scope = document.getElementById("id_scope");
    if (scope) { ["products", "categories"].forEach(function (name) { show(name, scope.value === "products"); }); }
    var validity = document.getElementById("id_validity");
    if (validity) {
      ["valid_from", "valid_until"].forEach(function (name) { show(name, validity.value === "fixed"); });
      ["valid_days", "starts_after_days"].forEach(function (name) { show(name, validity.value === "relative"); });
    }
  }
  function codes(input) { return input.value.split(/[,，、;；\s]+/).filter(Boolean); }
  function chips(input) {
    var known = JSON.parse(input.dataset.known || "[]");
    if (!known.length) { return; }
    var box = document.createElement("div");
    box.className = "code-chips";
    known.forEach(function (code) {
      var chip = document.createElement("button");
      chip.type = "button"; chip.className = "code-chip"; chip.textContent = code;
      function paint() { chip.classList.toggle("chosen", codes(input).indexOf(code) !== -1); }
      chip.addEventListener("click", function () {
        var list = codes(input), at = list.indexOf(code);
        if (at === -1) { list.push(code); } else { list.splice(at, 1); }
        input.value = list.join(", "); paint();
      });
      input.addEventListener("input", paint); paint();
      box.appendChild(chip);
    });
    input.insertAdjacentElement("afterend", box);
  }
  document.addEventListener("DOMContentLoaded", function () {
    ["id_kind", "id_scope", "id_validity"].forEach(function (id) {
      var el = document.getElementById(id); if (el) { el.addEventListener("change", guide); }
    });
    document.querySelectorAll("input.code-picker").forEach(chips);
    guide();
  });
})();
