// A link made when the glossary was one page (/glossary/#term-sciatica) lands on the letter
// index once the glossary is a letter a page: send it on to the term's own letter page.
(function () {
  "use strict";
  var hash = window.location.hash;
  var index = document.querySelector("[data-glossary-term-address]");
  if (!index || hash.indexOf("#term-") !== 0 || document.getElementById(hash.slice(1))) {
    return;
  }
  var slug = encodeURIComponent(decodeURIComponent(hash.slice("#term-".length)));
  window.location.replace(index.getAttribute("data-glossary-term-address") + slug + "/");
})();
