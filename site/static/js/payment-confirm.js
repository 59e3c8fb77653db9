// Confirm your payment: Stripe.js runs the bank's check on an existing PaymentIntent (an
// installment, or a payment at checkout), then the form is sent; the server asks Stripe
// for the outcome itself. With data-autostart the check opens as the page loads.
(function () {
  var form = document.getElementById("confirm-form");
  if (!form || typeof Stripe === "undefined") return;
  var stripe = Stripe(form.dataset.stripeKey);
  var button = document.getElementById("confirm-payment");
  var status = document.getElementById("confirm-status");
  var done = false;
  form.addEventListener("submit", function (event) {
    if (done) return;
    event.preventDefault();
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    status.textContent = "Your bank's check is open. Please follow its steps.";
    var data = form.dataset.paymentMethod ? { payment_method: form.dataset.paymentMethod } : {};
    stripe.confirmCardPayment(form.dataset.clientSecret, data)
      .then(function () {
        // Succeeded or not, the server reads the outcome from Stripe and says what happened.
        done = true;
        status.textContent = "Checking the outcome with your bank…";
        form.submit();
      })
      .catch(function () {
        status.textContent = "We could not reach our payment provider. Nothing has been charged; please try again.";
        button.disabled = false;
        button.removeAttribute("aria-busy");
      });
  });
  if (form.dataset.autostart) {
    if (form.requestSubmit) form.requestSubmit(button);
    else button.click();
  }
})();
