// Jaring console: small enhancements on top of pages that work without JavaScript.
(function () {
  "use strict";

  // Refuse a file larger than the server's limit before uploading it.
  function checkSizes(form) {
    var limit = parseInt(form.getAttribute("data-max-bytes") || "0", 10);
    if (!limit) return true;
    var tooLarge = false;
    form.querySelectorAll('input[type="file"]').forEach(function (input) {
      Array.prototype.forEach.call(input.files || [], function (file) {
        if (file.size > limit) tooLarge = true;
      });
    });
    var message = form.querySelector("[data-too-large]");
    if (message) message.hidden = !tooLarge;
    return !tooLarge;
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.hasAttribute("data-max-bytes") && !checkSizes(form)) {
      event.preventDefault();
      return;
    }
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
      return;
    }
    // One click, one submission: a slow upload is not sent twice.
    form.querySelectorAll('button[type="submit"]').forEach(function (button) {
      window.setTimeout(function () { button.disabled = true; }, 0);
    });
  });

  document.addEventListener("change", function (event) {
    var input = event.target;
    if (input.type === "file" && input.form && input.form.hasAttribute("data-max-bytes")) {
      checkSizes(input.form);
    }
    // Filters apply as soon as they change.
    if (input.form && input.form.hasAttribute("data-autosubmit") && !input.hasAttribute("data-no-autosubmit")) {
      if (window.htmx && input.form.hasAttribute("hx-get")) return;
      input.form.requestSubmit();
    }
  });

  document.addEventListener("click", function (event) {
    var target = event.target.closest("[data-back], [data-print], [data-copy]");
    if (!target) return;
    if (target.hasAttribute("data-back") && window.history.length > 1) {
      event.preventDefault();
      window.history.back();
    } else if (target.hasAttribute("data-print")) {
      event.preventDefault();
      window.print();
    } else if (target.hasAttribute("data-copy")) {
      event.preventDefault();
      var source = document.getElementById(target.getAttribute("data-copy"));
      if (source && navigator.clipboard) {
        navigator.clipboard.writeText(source.value || source.textContent).then(function () {
          target.setAttribute("data-copied", "");
          var done = target.getAttribute("data-done");
          if (done) target.textContent = done;
        });
      } else if (source && source.select) {
        source.select();
      }
    }
  });

  // On a narrow screen, the tab of the page shown is scrolled into sight.
  document.querySelectorAll(".tabs").forEach(function (tabs) {
    var current = tabs.querySelector('[aria-current="page"]');
    if (current && tabs.scrollWidth > tabs.clientWidth) {
      tabs.scrollLeft = current.offsetLeft - (tabs.clientWidth - current.offsetWidth) / 2;
    }
  });

  // htmx: answers with an error status still show their page (a sentence, not a blank).
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (event.detail.xhr.status >= 400) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
})();
