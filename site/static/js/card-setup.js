// Saving a card with Stripe.js, for the trial checkout and "Update card": the card element,
// confirmCardSetup with the form's SetupIntent, then the form is sent with only the
// SetupIntent's id (the card number never reaches our server).
//   cardSetupForm(form, {button: <button>, check: function (showError) { return true; }})
// `check` runs first and may refuse with a message (showError("...")); nothing is sent then.
window.cardSetupForm = function (form, options) {
  if (!form || typeof Stripe === "undefined") return;
  var stripe = Stripe(form.dataset.stripeKey);
  var card = stripe.elements().create("card");
  card.mount("#card-element");
  var errors = document.getElementById("card-errors");
  var button = options.button;
  var confirmed = false;

  function showError(message) {
    errors.textContent = message;
    button.disabled = false;
    button.removeAttribute("aria-busy");
  }

  form.addEventListener("submit", function (event) {
    if (confirmed) return;
    event.preventDefault();
    errors.textContent = "";
    if (options.check && !options.check(showError)) return;
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    stripe.confirmCardSetup(form.dataset.clientSecret, { payment_method: { card: card } })
      .then(function (result) {
        if (result.error) {
          showError(result.error.message || "Your card could not be saved. Please check the details.");
          return;
        }
        form.querySelector("input[name=setup_intent_id]").value = result.setupIntent.id;
        confirmed = true;
        form.submit();
      })
      .catch(function () {
        showError("We could not reach our payment provider. Nothing has been charged; please try again.");
      });
  });
};
