// The member code on the home and card pages: swap in a fresh one before the shown one stops being accepted.
(function () {
  var el = document.getElementById("member-code");
  if (!el) return;
  function refresh() {
    fetch(el.dataset.url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { if (!r.ok) throw r; return r.json(); })
      .then(function (d) {
        el.textContent = d.code;
        document.getElementById("member-qr").innerHTML = d.svg;
        setTimeout(refresh, d.refresh_in * 1000);
      })
      .catch(function () { setTimeout(refresh, 10000); });
  }
  setTimeout(refresh, parseInt(el.dataset.refreshIn, 10) * 1000);
})();
