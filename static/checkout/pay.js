// Self-pay: ask the server for the live quote as the member types or changes a choice.
(function () {
  "use strict";
  var form = document.getElementById("pay-form");
  if (!form) { return; }
  var labels = JSON.parse(document.getElementById("checkout-labels").textContent);
  var timer = null;
  var coupon = document.getElementById("pay-coupon");

  function text(tag, content, className) {
    var element = document.createElement(tag);
    element.textContent = content;
    if (className) { element.className = className; }
    return element;
  }

  function row(label, amount) {
    var item = document.createElement("li");
    item.appendChild(text("span", label));
    item.appendChild(text("span", amount));
    return item;
  }

  function show(data) {
    var lines = document.getElementById("quote-lines");
    var tenders = document.getElementById("quote-tenders");
    lines.replaceChildren();
    tenders.replaceChildren();
    data.adjustments.forEach(function (line) {
      var item = row(labels[line.kind] || line.kind, "−¥" + line.amount);
      item.dataset.kind = line.kind;
      item.title = line.description;
      lines.appendChild(item);
    });
    data.tenders.forEach(function (tender) {
      tenders.appendChild(row(labels[tender.kind] || tender.kind, "¥" + tender.amount));
      (tender.items || []).forEach(function (item) {
        tenders.appendChild(row("· " + item.card, "¥" + item.amount));
      });
    });
    document.getElementById("quote-due").textContent = "¥" + data.amount_due;
    document.getElementById("quote-reason").textContent = data.reason || "";
    document.getElementById("quote-earn").textContent = data.points_earned ? labels.earn.replace("{points}", data.points_earned) : "";
    if (coupon.value === "best" && data.coupon_code) { coupon.dataset.best = data.coupon_code; }
    document.getElementById("quote").hidden = false;
    document.getElementById("quote-error").hidden = true;
  }

  function refresh() {
    var params = new URLSearchParams(new FormData(form));
    params.delete("csrfmiddlewaretoken");
    if (!params.get("amount")) { document.getElementById("quote").hidden = true; return; }
    fetch(form.dataset.quoteUrl + "?" + params.toString(), {credentials: "same-origin"})
      .then(function (response) { return response.json(); })
      .then(function (data) {
        if (data.error) {
          var error = document.getElementById("quote-error");
          error.textContent = data.error.message;
          error.hidden = false;
          document.getElementById("quote").hidden = true;
          return;
        }
        show(data);
      });
  }

  function later() {
    clearTimeout(timer);
    timer = setTimeout(refresh, 250);
  }

  form.addEventListener("input", later);
  form.addEventListener("change", later);
  form.addEventListener("submit", function () {
    // Pay with exactly the coupon the quote showed.
    if (coupon.value === "best") {
      var chosen = coupon.dataset.best || "";
      var option = document.createElement("option");
      option.value = chosen;
      coupon.appendChild(option);
      coupon.value = chosen;
    }
  });
})();
