// The counter desk by keyboard: each button shows its key (N, R, T, S) and the key presses it,
// unless the officer is typing in a field or holds a modifier. Without JavaScript the buttons
// post as they are.
(function () {
  "use strict";
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || event.repeat) return;
    var target = event.target;
    if (target.closest && target.closest("input, textarea, select, [contenteditable]")) return;
    var key = (event.key || "").toLowerCase();
    if (key.length !== 1) return;
    var button = document.querySelector('button[data-key="' + key + '"]');
    if (!button || button.disabled) return;
    event.preventDefault();
    button.click();
    button.disabled = true; // one press, one post: a bouncing key does not post twice
  });
})();
