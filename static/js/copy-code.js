/* "Kopieren" buttons next to code examples (the table explorer's API box). The buttons
   are hidden in the HTML and shown here, so without JavaScript (or without a clipboard)
   the code stays what it always is: selectable text in <pre><code>. */
(function () {
  "use strict";
  if (!navigator.clipboard || !window.isSecureContext) {
    return;
  }
  var status = document.querySelector(".sd-copy-status");
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var source = document.getElementById(button.dataset.copy);
    if (!source) {
      return;
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(source.textContent).then(
        function () {
          if (status) {
            status.textContent = button.dataset.done || "Kopiert.";
          }
        },
        function () {
          if (status) {
            status.textContent = button.dataset.failed || "Kopieren nicht möglich – bitte markieren Sie den Text.";
          }
        }
      );
    });
  });
})();
