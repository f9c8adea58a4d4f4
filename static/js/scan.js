// The check-in scan field: a keyboard-wedge scanner types the code and Enter. The same code read
// again within 2 seconds is a double read and is not sent; after each answer the field is
// cleared, the options reset and the field focused for the next person. Remembered in
// sessionStorage so that it holds across the full-page answer without htmx too.
(function () {
  "use strict";
  var REPEAT_MS = 2000;
  var KEY = "scan-last";

  function field() { return document.getElementById("scanned"); }

  function isRepeat(value) {
    var last = null;
    try { last = JSON.parse(sessionStorage.getItem(KEY) || "null"); } catch (e) { last = null; }
    return last !== null && last.value === value && Date.now() - last.at < REPEAT_MS;
  }

  function remember(value) {
    try { sessionStorage.setItem(KEY, JSON.stringify({ value: value, at: Date.now() })); } catch (e) { /* private mode */ }
  }

  function ready() {
    var input = field();
    if (!input) return;
    input.form.reset();
    input.value = "";
    input.focus();
  }

  // In the capture phase, before htmx's own listener on the form sees the submit.
  document.addEventListener("submit", function (event) {
    var input = field();
    if (!input || event.target !== input.form) return;
    var value = input.value.trim();
    if (value && isRepeat(value)) {
      event.preventDefault();
      event.stopPropagation();
      input.value = "";
      input.focus();
      return;
    }
    remember(value);
  }, true);

  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target && event.detail.target.id === "scan-answer") ready();
  });
  document.addEventListener("DOMContentLoaded", ready);
})();
