// Jaring console: the table of submissions. On a phone the filters start folded away
// (the page works without this: they are simply open).
(function () {
  "use strict";

  var box = document.querySelector("details[data-close-on-phone]");
  if (box && window.matchMedia && window.matchMedia("(max-width: 40rem)").matches) {
    box.open = false;
  }
})();
