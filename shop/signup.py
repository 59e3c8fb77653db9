"""Oscar's two ways to open an account (the "register" half of the sign-in page, and the
register page the checkout sends new customers to), with sign-ups per address limited so
throwaway accounts cannot be made in bulk (shop.abuse), and fields that password managers
fill in (WCAG 2.2, 3.3.8 accessible authentication: nothing to remember or retype)."""

from oscar.apps.customer import views
from oscar.apps.customer.forms import EmailAuthenticationForm, EmailUserCreationForm

from shop import abuse


def signup_refused(*, request, form) -> bool:
    """Count a valid sign-up; over the limit, the form carries the message and True."""
    try:
        abuse.signup_spend(request=request)
    except abuse.TooManyAttempts as exc:
        form.add_error(None, exc.user_message)
        return True
    return False


class SignInForm(EmailAuthenticationForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs.update(autocomplete="username", autocapitalize="none")
        self.fields["password"].widget.attrs.update(autocomplete="current-password")


class SignUpForm(EmailUserCreationForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].widget.attrs.update(autocomplete="email", autocapitalize="none")
        for name in ("password1", "password2"):
            self.fields[name].widget.attrs.update(autocomplete="new-password")


class AccountAuthView(views.AccountAuthView):
    login_form_class = SignInForm
    registration_form_class = SignUpForm

    def validate_registration_form(self):
        form = self.get_registration_form(bind_data=True)
        if form.is_valid() and signup_refused(request=self.request, form=form):
            context = self.get_context_data(registration_form=form)
            return self.render_to_response(context, status=429)
        return super().validate_registration_form()


class AccountRegistrationView(views.AccountRegistrationView):
    form_class = SignUpForm

    def form_valid(self, form):
        if signup_refused(request=self.request, form=form):
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().form_valid(form)
