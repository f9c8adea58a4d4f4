// Refusals shown where the applicant is looking. An enhancement only: without this file the
// server refuses the same requests, with the same messages, on a whole page.
(function () {
  "use strict";

  // Files are checked for size and type before a byte is sent. The limits and the messages
  // come from the file input (data-max-bytes, data-media-types, data-too-large,
  // data-wrong-type), which the server renders from the constants it checks uploads with.
  function fileProblem(input) {
    var file = input.files && input.files[0];
    if (!file) return null;
    if (file.size > Number(input.dataset.maxBytes)) return input.dataset.tooLarge;
    var types = (input.dataset.mediaTypes || "").split(" ");
    // Some phones name no type; the server then judges the file by its content.
    if (file.type && types.indexOf(file.type) < 0) return input.dataset.wrongType;
    return null;
  }

  function showFileProblem(input, message) {
    var id = input.id + "-refused";
    var note = document.getElementById(id);
    var item = input.closest("li");
    if (!message) {
      if (!note) return;
      note.remove();
      input.removeAttribute("aria-invalid");
      input.removeAttribute("aria-describedby");
      if (item) item.classList.remove("field-error");
      return;
    }
    if (!note) {
      note = document.createElement("p");
      note.id = id;
      note.className = "error";
      note.setAttribute("role", "alert");
      input.form.parentNode.insertBefore(note, input.form);
    }
    note.textContent = message;
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-describedby", id);
    if (item) item.classList.add("field-error");
  }

  function checkFile(input) {
    var message = fileProblem(input);
    showFileProblem(input, message);
    return message;
  }

  document.addEventListener("change", function (event) {
    var input = event.target;
    if (input.matches && input.matches("input[type=file][data-max-bytes]")) checkFile(input);
  });

  // Capturing, so that the check runs before htmx (listening on the form) sends anything.
  document.addEventListener("submit", function (event) {
    var inputs = event.target.querySelectorAll("input[type=file][data-max-bytes]");
    for (var i = 0; i < inputs.length; i++) {
      if (checkFile(inputs[i])) {
        event.preventDefault();
        event.stopPropagation();
        inputs[i].focus();
        return;
      }
    }
  }, true);

  // A request the server refused (4xx or 5xx, other than the 422 and 429 pages that htmx swaps
  // in as they are): its message goes just before the form, link or region that sent it, in
  // place of an earlier one, and into view. A request that never reached the server is
  // app.js's offline notice.
  function refusalFrom(xhr) {
    var holder = document.createElement("div");
    holder.innerHTML = xhr.responseText || "";
    var notice = holder.querySelector(".request-refused");
    if (notice) return notice;
    notice = document.createElement("div");
    notice.className = "notice notice-error request-refused";
    notice.setAttribute("role", "alert");
    notice.setAttribute("tabindex", "-1");
    var fallback = document.querySelector('meta[name="request-refused"]');
    notice.textContent = (fallback ? fallback.content : "") + " (" + xhr.status + ")";
    return notice;
  }

  document.addEventListener("htmx:responseError", function (event) {
    var sender = event.detail.elt;
    if (!sender || !sender.isConnected) return;
    var notice = refusalFrom(event.detail.xhr);
    var earlier = sender.previousElementSibling;
    if (earlier && earlier.classList.contains("request-refused")) {
      earlier.replaceWith(notice);
      return; // a poll failing again: the same place, without pulling the view back to it
    }
    sender.parentNode.insertBefore(notice, sender);
    notice.scrollIntoView({ block: "center" });
    notice.focus({ preventScroll: true });
  });

  // Once a request from the same place gets through, its old refusal no longer applies.
  document.addEventListener("htmx:afterRequest", function (event) {
    var sender = event.detail.elt;
    if (!event.detail.successful || !sender || !sender.isConnected) return;
    var earlier = sender.previousElementSibling;
    if (earlier && earlier.classList.contains("request-refused")) earlier.remove();
  });
})();
