import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = (
        "Create the local admin user once, with a random password kept in var/admin-login.txt, "
        "and print its login. Refuses to run with DEBUG off."
    )

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")
        parser.add_argument("--email", default="admin@example.com")
        parser.add_argument(
            "--login-file",
            default=str(Path(settings.BASE_DIR) / "var" / "admin-login.txt"),
            help="Where the generated password is kept for the next run.",
        )

    def handle(self, *args, username, email, login_file, **options):
        if not settings.DEBUG:
            raise CommandError(
                "create_local_admin is for local runs (DEBUG on). "
                "In production use `manage.py createsuperuser`."
            )
        login_path = Path(login_file)
        user_model = get_user_model()
        user = user_model.objects.filter(username=username).first()
        if user is None:
            password = secrets.token_urlsafe(12)
            user_model.objects.create_superuser(username=username, email=email, password=password)
            login_path.parent.mkdir(parents=True, exist_ok=True)
            login_path.write_text(f"{username}\n{password}\n")
            login_path.chmod(0o600)
            note = "created"
        elif login_path.exists():
            password = login_path.read_text().splitlines()[1]
            note = "already there; password as first created"
        else:
            password = None
            note = "already there"
        base = settings.SITE_URL
        self.stdout.write(self.style.SUCCESS(f"Admin login ({note}):"))
        self.stdout.write(f"  CMS:        {base}/cms/")
        self.stdout.write(f"  Shop admin: {base}/shop/dashboard/")
        self.stdout.write(f"  username:   {username}   (or email {user.email if user else email})")
        if password:
            self.stdout.write(f"  password:   {password}")
        else:
            self.stdout.write(
                f"  password:   unknown here; set one: manage.py changepassword {username}"
            )
