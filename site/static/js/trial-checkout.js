// Trial checkout: Stripe.js saves the card through the SetupIntent, then the form is sent
// with only the SetupIntent's id. Nothing is charged here.
(function () {
  var form = document.getElementById("trial-form");
  if (!form || typeof Stripe === "undefined") return;
  var stripe = Stripe(form.dataset.stripeKey);
  var card = stripe.elements().create("card");
  card.mount("#card-element");
  var errors = document.getElementById("card-errors");
  var button = document.getElementById("start-trial");
  var country = form.querySelector("select[name=country]");
  var euBox = document.getElementById("immediate-access");
  var euCountries = (country.dataset.euCountries || "").split(",");

  function showEuBox() {
    euBox.hidden = euCountries.indexOf(country.value) === -1;
  }
  country.addEventListener("change", showEuBox);
  showEuBox();

  var confirmed = false;
  form.addEventListener("submit", function (event) {
    if (confirmed) return;
    event.preventDefault();
    errors.textContent = "";
    var consent = document.getElementById("id_consent");
    if (!country.value) { errors.textContent = "Please choose the country you live in."; country.focus(); return; }
    if (!consent.checked) { errors.textContent = "Please tick the box to agree to the payment terms before starting."; consent.focus(); return; }
    if (!euBox.hidden && !document.getElementById("id_immediate_access").checked) {
      errors.textContent = "Please tick the box asking for immediate access to the download.";
      document.getElementById("id_immediate_access").focus();
      return;
    }
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    stripe.confirmCardSetup(form.dataset.clientSecret, { payment_method: { card: card } })
      .then(function (result) {
        if (result.error) {
          errors.textContent = result.error.message || "Your card could not be saved. Please check the details.";
          button.disabled = false;
          button.removeAttribute("aria-busy");
          return;
        }
        form.querySelector("input[name=setup_intent_id]").value = result.setupIntent.id;
        confirmed = true;
        form.submit();
      })
      .catch(function () {
        errors.textContent = "We could not reach our payment provider. Nothing has been charged; please try again.";
        button.disabled = false;
        button.removeAttribute("aria-busy");
      });
  });
})();
