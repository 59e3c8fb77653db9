"""Oscar's two ways to open an account (the "register" half of the sign-in page, and the
register page the checkout sends new customers to), with sign-ups per address limited so
throwaway accounts cannot be made in bulk (shop.abuse)."""

from oscar.apps.customer import views

from shop import abuse


def signup_refused(*, request, form) -> bool:
    """Count a valid sign-up; over the limit, the form carries the message and True."""
    try:
        abuse.signup_spend(request=request)
    except abuse.TooManyAttempts as exc:
        form.add_error(None, exc.user_message)
        return True
    return False


class AccountAuthView(views.AccountAuthView):
    def validate_registration_form(self):
        form = self.get_registration_form(bind_data=True)
        if form.is_valid() and signup_refused(request=self.request, form=form):
            context = self.get_context_data(registration_form=form)
            return self.render_to_response(context, status=429)
        return super().validate_registration_form()


class AccountRegistrationView(views.AccountRegistrationView):
    def form_valid(self, form):
        if signup_refused(request=self.request, form=form):
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().form_valid(form)
