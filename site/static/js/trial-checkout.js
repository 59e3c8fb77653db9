// Trial checkout: the card is saved through the SetupIntent (card-setup.js) once the country
// and the consent are given. Nothing is charged here.
(function () {
  var form = document.getElementById("trial-form");
  if (!form) return;
  var country = form.querySelector("select[name=country]");
  var euBox = document.getElementById("immediate-access");
  var euCountries = (country.dataset.euCountries || "").split(",");

  function showEuBox() {
    euBox.hidden = euCountries.indexOf(country.value) === -1;
  }
  country.addEventListener("change", showEuBox);
  showEuBox();

  window.cardSetupForm(form, {
    button: document.getElementById("start-trial"),
    check: function (showError) {
      var consent = document.getElementById("id_consent");
      var immediate = document.getElementById("id_immediate_access");
      if (!country.value) {
        showError("Please choose the country you live in.");
        country.focus();
        return false;
      }
      if (!consent.checked) {
        showError("Please tick the box to agree to the payment terms before starting.");
        consent.focus();
        return false;
      }
      if (!euBox.hidden && !immediate.checked) {
        showError("Please tick the box asking for immediate access to the download.");
        immediate.focus();
        return false;
      }
      return true;
    },
  });
})();
