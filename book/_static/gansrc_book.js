// The language switch in the header (added by book/_ext/gansrc_book.py) opens the other
// language in the same tab, and a search page keeps its query.
document.addEventListener("DOMContentLoaded", () => {
  for (const link of document.querySelectorAll("a.gansrc-header-switch")) {
    link.removeAttribute("target");
    if (window.location.search) {
      link.href = link.href.split("?")[0] + window.location.search;
    }
  }
});
