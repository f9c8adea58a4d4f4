// The chosen day's slots, swapped in below the calendar, come into view and take the focus,
// as the #slots anchor of the day link does without JavaScript.
(function () {
  "use strict";
  document.addEventListener("htmx:afterSettle", function (event) {
    if (event.detail.target.id !== "calendar") return;
    var slots = document.getElementById("slots");
    if (!slots) return;
    slots.focus({ preventScroll: true });
    slots.scrollIntoView({ block: "start" });
  });
})();
