// "Quit ... Tryout": the press opens the confirmation in the page instead of a second page.
// Without this script (or without <dialog>) the form asks on a page of its own.
(function () {
  document.querySelectorAll("form[data-quit-confirm]").forEach(function (form) {
    var dialog = form.querySelector("dialog");
    var open = form.querySelector("[data-quit-open]");
    if (!dialog || typeof dialog.showModal !== "function") return;
    open.addEventListener("click", function (event) {
      event.preventDefault();
      dialog.showModal();
    });
    form.querySelector("[data-quit-close]").addEventListener("click", function () {
      dialog.close();
      open.focus();
    });
  });
})();
