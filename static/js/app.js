// Progressive enhancements only: every page works without this file.
(function () {
  "use strict";
  if ("serviceWorker" in navigator) {
    window.addEventListener("load", function () {
      navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () {});
    });
  }
  // Bring a new error summary into view and focus, so screen readers announce it. Only once:
  // later swaps (autosave, NIK check) must not pull the applicant away from the field.
  function focusErrors() {
    var summary = document.querySelector(".error-summary:not([data-announced])");
    if (!summary) return;
    summary.setAttribute("data-announced", "");
    summary.focus();
  }
  document.addEventListener("DOMContentLoaded", focusErrors);
  document.addEventListener("htmx:afterSwap", focusErrors);
  // A request that never reached the server leaves the page as it is; say so where the
  // applicant is (beside the form's button, or at the foot of the screen), move the focus there
  // for screen readers, and clear the notice as soon as a request gets through again. The
  // element is kept: a swap may take it out of the page while it is beside a form.
  var notice = null;
  function showOffline(source) {
    if (!notice) return;
    var form = source && source.closest ? source.closest("form") : null;
    var button = form ? form.querySelector("button[type=submit], button:not([type])") : null;
    notice.classList.toggle("notice-floating", !button);
    if (button) button.parentNode.insertBefore(notice, button);
    else document.body.appendChild(notice);
    notice.hidden = false;
    notice.setAttribute("tabindex", "-1");
    notice.scrollIntoView({ block: "nearest" });
    notice.focus({ preventScroll: true });
  }
  document.addEventListener("DOMContentLoaded", function () {
    notice = document.getElementById("offline-notice");
  });
  document.addEventListener("htmx:sendError", function (event) { showOffline(event.detail.elt); });
  document.addEventListener("htmx:afterRequest", function (event) {
    if (notice && event.detail.xhr && event.detail.xhr.status) notice.hidden = true;
  });
  // Shown in place of a page that could not load, the offline page's "Try again" loads that page.
  document.addEventListener("DOMContentLoaded", function () {
    var retry = document.getElementById("retry");
    if (retry && location.pathname !== retry.getAttribute("data-offline-path")) {
      retry.href = location.href;
    }
  });
  // "Use my location": the browser's position fills the office search, nearest first.
  document.addEventListener("DOMContentLoaded", function () {
    var button = document.getElementById("use-location");
    if (!button || !navigator.geolocation) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.geolocation.getCurrentPosition(function (position) {
        document.getElementById("lat").value = position.coords.latitude.toFixed(4);
        document.getElementById("lon").value = position.coords.longitude.toFixed(4);
        document.getElementById("office-search").submit();
      });
    });
  });
  // The language switch keeps what was typed on a wizard step. Without JavaScript its button
  // submits the step's form (form and formaction attributes); here the header form itself goes,
  // with the address in the bar (htmx may have moved on since the page loaded) and copies of the
  // step's fields, whichever step is showing now.
  document.addEventListener("DOMContentLoaded", function () {
    var switcher = document.getElementById("language-switch");
    if (!switcher) return;
    var button = switcher.querySelector("button");
    button.removeAttribute("form");
    button.removeAttribute("formaction");
    switcher.addEventListener("submit", function () {
      switcher.elements.namedItem("next").value = location.pathname + location.search;
      var copied = switcher.querySelectorAll("[data-copied]");
      for (var i = 0; i < copied.length; i++) copied[i].remove();
      var step = document.getElementById("step-form");
      if (!step) return;
      new FormData(step).forEach(function (value, name) {
        if (name === "csrf_token" || typeof value !== "string") return;
        var copy = document.createElement("input");
        copy.type = "hidden";
        copy.name = name;
        copy.value = value;
        copy.setAttribute("data-copied", "");
        switcher.appendChild(copy);
      });
    });
  });
  // A new step swapped into the wizard starts at its heading, as a new page would. A history
  // restore (Back) swaps the whole body and sends no target: the browser places that page itself.
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (!target || target.id !== "wizard" || document.querySelector(".error-summary")) return;
    var heading = target.querySelector("h1");
    window.scrollTo(0, 0);
    if (heading) {
      heading.setAttribute("tabindex", "-1");
      heading.focus({ preventScroll: true });
    }
  });
  // Each autosave re-renders the validity options (10 years is disabled for a child) from the
  // answers it sent. On a slow connection it arrives after the applicant has already chosen:
  // keep that choice, unless the new options disable it.
  document.addEventListener("htmx:oobBeforeSwap", function (event) {
    var current = event.detail.target;
    if (!current || current.id !== "validity-options") return;
    var chosen = current.querySelector("input[type=radio]:checked");
    if (!chosen) return;
    var options = event.detail.fragment.querySelectorAll("input[type=radio]");
    for (var i = 0; i < options.length; i++) {
      if (options[i].value === chosen.value && options[i].disabled) return;
    }
    for (var j = 0; j < options.length; j++) {
      options[j].checked = options[j].value === chosen.value;
      options[j].toggleAttribute("checked", options[j].checked);
    }
  });
})();
