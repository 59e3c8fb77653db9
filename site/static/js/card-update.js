// Update card: Stripe.js saves the new card through a SetupIntent, then the form is sent
// with only the SetupIntent's id; the server retries a failed payment with it at once.
(function () {
  var form = document.getElementById("card-form");
  if (!form || typeof Stripe === "undefined") return;
  var stripe = Stripe(form.dataset.stripeKey);
  var card = stripe.elements().create("card");
  card.mount("#card-element");
  var errors = document.getElementById("card-errors");
  var button = document.getElementById("save-card");
  var confirmed = false;
  form.addEventListener("submit", function (event) {
    if (confirmed) return;
    event.preventDefault();
    errors.textContent = "";
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
