/*
 * The "Menü" button of the header (templates/base.html): on narrow screens it folds the
 * portal and staff navigation away instead of letting it wrap over several lines. A
 * disclosure button: aria-expanded says whether the navigation (aria-controls) is shown,
 * Escape closes it and returns to the button. Without JavaScript the button stays hidden
 * and the navigation open. The stylesheet hides the button, and ignores the closed state,
 * on wide screens. No inline script (CSP).
 */
(function () {
  "use strict";

  function setUp() {
    var button = document.querySelector(".sd-menu-button[aria-controls]");
    // The navigation first, then what folds with it (the account links of signed-in staff).
    var parts = button ? button.getAttribute("aria-controls").split(/\s+/).map(function (id) {
      return document.getElementById(id);
    }).filter(Boolean) : [];
    var navigation = parts[0];
    if (!navigation || !navigation.querySelector("nav")) {
      return;
    }

    function show(open) {
      button.setAttribute("aria-expanded", open ? "true" : "false");
      parts.forEach(function (part) {
        part.classList.toggle("sd-navigation--closed", !open);
      });
    }

    button.hidden = false;
    show(false);
    button.addEventListener("click", function () {
      show(button.getAttribute("aria-expanded") !== "true");
    });
    parts.forEach(function (part) {
      part.addEventListener("keydown", function (event) {
        if (event.key === "Escape" && button.getAttribute("aria-expanded") === "true" && button.offsetParent) {
          show(false);
          button.focus();
        }
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
})();
