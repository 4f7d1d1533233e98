// Upload with progress and errors in words; without JavaScript the forms post normally.
(function () {
  "use strict";
  function show(el, on) { if (el) { el.hidden = !on; } }
  document.querySelectorAll("form[data-upload]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.FormData || !window.XMLHttpRequest) { return; }
      event.preventDefault();
      var box = form.querySelector(".progress");
      var bar = box ? box.querySelector("progress") : null;
      var words = box ? box.querySelector(".progress-words") : null;
      var err = form.querySelector(".upload-error");
      var button = form.querySelector("button[type=submit]");
      show(err, false);
      show(box, true);
      if (button) { button.disabled = true; }
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.getAttribute("action"));
      xhr.upload.addEventListener("progress", function (e) {
        if (e.lengthComputable && bar) {
          var pct = Math.round(100 * e.loaded / e.total);
          bar.value = pct;
          if (words) { words.textContent = pct < 100 ? "sent " + pct + "%" : "sent; analysing the recordings..."; }
        }
      });
      xhr.addEventListener("load", function () {
        if (xhr.status >= 200 && xhr.status < 300) {
          if (words) { words.textContent = "done; opening the report"; }
          window.location.assign(xhr.responseURL || window.location.href);
          return;
        }
        var message = "the upload failed (HTTP " + xhr.status + ")";
        try {
          var doc = new DOMParser().parseFromString(xhr.responseText, "text/html");
          var found = doc.querySelector(".form-error");
          if (found) { message = found.textContent; }
        } catch (e) { /* keep the generic message */ }
        if (err) { err.textContent = message; show(err, true); }
        show(box, false);
        if (button) { button.disabled = false; }
      });
      xhr.addEventListener("error", function () {
        if (err) { err.textContent = "the connection to the service was lost; try again"; show(err, true); }
        show(box, false);
        if (button) { button.disabled = false; }
      });
      xhr.send(new FormData(form));
    });
  });
}());
