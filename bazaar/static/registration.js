/* Registration and profile forms: a search box over long checkbox lists, and the sensitive
   question shown only once its consent box is ticked. Without JavaScript everything is shown. */
(function () {
  "use strict";

  document.querySelectorAll("[data-filterable]").forEach(function (group) {
    var input = group.querySelector(".checkgroup-filter");
    var label = group.querySelector(".filter-label");
    if (!input) { return; }
    input.hidden = false;
    if (label) { label.hidden = false; }
    input.addEventListener("input", function () {
      var needle = input.value.trim().toLocaleLowerCase();
      group.querySelectorAll(".checklist li").forEach(function (item) {
        var text = item.textContent.toLocaleLowerCase();
        var checked = item.querySelector("input").checked;
        item.hidden = needle !== "" && !checked && text.indexOf(needle) === -1;
      });
    });
  });

  document.querySelectorAll("[data-needs-consent]").forEach(function (block) {
    var box = document.getElementById(block.getAttribute("data-needs-consent"));
    if (!box) { return; }
    var sync = function () {
      block.hidden = !box.checked;
      if (!box.checked) {
        block.querySelectorAll("select").forEach(function (select) { select.value = ""; });
      }
    };
    box.addEventListener("change", sync);
    sync();
  });
}());
