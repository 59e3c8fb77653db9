// Update card: the new card is saved through a SetupIntent (card-setup.js); the server then
// retries a failed payment, or one waiting for the bank's check, with it at once.
window.cardSetupForm(document.getElementById("card-form"), {
  button: document.getElementById("save-card"),
});
