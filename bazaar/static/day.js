/* The exhibitor's day: save held / no-show / outcome without reloading the page, and narrow the list
   as a name or number is typed. Without this file the page works the same, with reloads. */
(function () {
  "use strict";

  function inlineSave(list) {
    list.addEventListener("submit", function (event) {
      var form = event.target.closest("form[data-inline-save]");
      if (!form || form.dataset.plain || !window.fetch || !window.FormData) { return; }
      event.preventDefault();
      var submitter = event.submitter;
      function plainSubmit() {  // an expired form, a network error: the ordinary way, with its reload
        form.dataset.plain = "1";
        if (form.requestSubmit) { form.requestSubmit(submitter); } else { form.submit(); }
      }
      var data = new FormData(form);
      if (submitter && submitter.name) { data.append(submitter.name, submitter.value); }
      var status = form.querySelector(".saved");
      var buttons = form.querySelectorAll("button");
      buttons.forEach(function (b) { b.disabled = true; });
      fetch(form.action, { method: "POST", body: data, credentials: "same-origin", headers: { "X-Inline-Save": "1" } })
        .then(function (response) {
          if (response.ok) {
            return response.text().then(function (html) {
              var row = form.closest("li");
              var open = row.querySelector("details.outcome-fields");
              var wasOpen = open ? open.open : true;
              row.insertAdjacentHTML("afterend", html);
              var fresh = row.nextElementSibling;
              row.remove();
              var details = fresh.querySelector("details.outcome-fields");
              if (details) { details.open = wasOpen; }
              var message = fresh.querySelector(".saved");
              if (message) { message.setAttribute("tabindex", "-1"); message.focus(); }
            });
          }
          if (response.status === 400) {
            return response.json().then(function (body) { status.textContent = (body.errors || []).join(" "); });
          }
          plainSubmit();
        })
        .catch(plainSubmit)
        .finally(function () { buttons.forEach(function (b) { b.disabled = false; }); });
    });
  }

  function filterAsYouType(input) {
    var rows = document.querySelectorAll(input.getAttribute("data-filter-list"));
    input.addEventListener("input", function () {
      var wanted = input.value.trim().toLowerCase();
      rows.forEach(function (row) {
        var match = !wanted || row.getAttribute("data-search").indexOf(wanted) !== -1;
        row.hidden = !match;
        var folded = row.closest("details");
        if (match && wanted && folded) { folded.open = true; }
      });
    });
  }

  document.querySelectorAll("[data-inline-list]").forEach(inlineSave);
  document.querySelectorAll("[data-filter-list]").forEach(filterAsYouType);
})();
