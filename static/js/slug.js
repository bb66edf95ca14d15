/*
 * The Kurzname (slug) of a new dataset, proposed from its title while nobody has typed
 * one: umlauts and ß spelt out (ä → ae, ß → ss), everything else reduced to a-z, 0-9 and
 * hyphens, as catalog.forms.slug_from_title does on the server when the field stays empty.
 * Once the person edits the Kurzname themselves it is left alone.
 * Markup: <input data-slug-from="id_title">. No inline script (CSP).
 */
(function () {
  "use strict";

  var SPELT = { "ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss" };

  function slugFrom(title) {
    return title
      .replace(/[äöüÄÖÜß]/g, function (letter) { return SPELT[letter]; })
      .normalize("NFKD")
      .replace(/[\u0300-\u036f]/g, "")
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-+|-+$/g, "")
      .slice(0, 100)
      .replace(/-+$/, "");
  }

  document.querySelectorAll("input[data-slug-from]").forEach(function (slug) {
    var title = document.getElementById(slug.getAttribute("data-slug-from"));
    if (!title) {
      return;
    }
    var proposed = slug.value === "" || slug.value === slugFrom(title.value);
    slug.addEventListener("input", function () {
      proposed = slug.value === "";
    });
    title.addEventListener("input", function () {
      if (proposed) {
        slug.value = slugFrom(title.value);
      }
    });
  });
})();
