/* A list that narrows as a word is typed, and filters folded behind a button. Without this file the
   page works the same through its form: the search and the filters are sent to the server.

   <ul data-filter-list="#input" data-filter-count="#status" data-filter-none="#empty">: each row's
   data-search holds its words in lower case; the status element's data-counts holds the text for
   each number of rows left (plural forms come from the server's catalog), read out politely.
   <button data-disclosure aria-controls="panel">: shown, and toggles the panel it names. */
(function () {
  "use strict";

  function narrow(list) {
    var input = document.querySelector(list.getAttribute("data-filter-list"));
    var status = document.querySelector(list.getAttribute("data-filter-count"));
    var none = document.querySelector(list.getAttribute("data-filter-none"));
    var counts = status ? JSON.parse(status.getAttribute("data-counts")) : [];
    if (!input) { return; }
    var lastShown = null;
    function apply() {
      var words = input.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
      var shown = 0;
      list.querySelectorAll(":scope > li").forEach(function (row) {
        var text = row.getAttribute("data-search") || "";
        var match = words.every(function (word) { return text.indexOf(word) !== -1; });
        row.hidden = !match;
        if (match) { shown += 1; }
      });
      if (shown === lastShown) { return; }  // the same number is not read out again
      lastShown = shown;
      if (status && counts[shown] !== undefined) { status.textContent = counts[shown]; }
      if (none) { none.hidden = shown > 0; }
    }
    input.addEventListener("input", apply);
    if (input.value) { apply(); }
  }

  function disclosure(button) {
    var panel = document.getElementById(button.getAttribute("aria-controls"));
    if (!panel) { return; }
    function show(open) {
      button.setAttribute("aria-expanded", open ? "true" : "false");
      panel.hidden = !open;
    }
    button.hidden = false;
    show(false);
    button.addEventListener("click", function () { show(panel.hidden); });
  }

  document.querySelectorAll("[data-filter-list]").forEach(narrow);
  document.querySelectorAll("button[data-disclosure]").forEach(disclosure);
})();
