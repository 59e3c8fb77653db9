"""Each environment's settings load from the environment, and production refuses to start
without its secrets. Each case runs in a new process, as a real process start would."""

import secrets

import pytest

from tests.support.processes import python_printed_json, run_python

# What the settings say, read as a process starting reads them: importing the settings module
# is where production refuses to start. `load_started` also runs django.setup(), as the web
# process does; the deploy check below starts the whole site with production settings.
READ = (
    "import json; from django.conf import settings as s; "
    "print(json.dumps({'debug': s.DEBUG, 'db': s.DATABASES['default']['ENGINE'], "
    "'db_name': str(s.DATABASES['default']['NAME']), "
    "'cache': s.CACHES['default']['BACKEND'], 'hosts': s.ALLOWED_HOSTS, "
    "'default_storage': s.STORAGES['default']['BACKEND'], "
    "'private_storage': s.STORAGES['private']['BACKEND'], "
    "'static_storage': s.STORAGES['staticfiles']['BACKEND'], "
    "'stripe_base': s.STRIPE_API_BASE, 'email': s.EMAIL_BACKEND, "
    "'tasks': s.TASKS['default']['BACKEND']}))"
)
STARTED = "import django; django.setup(); " + READ

PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "shop.example.com",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "AWS_STORAGE_BUCKET_NAME": "public-media",
    "AWS_PRIVATE_BUCKET_NAME": "program-files",
    "TRUSTED_PROXY_COUNT": "1",
    "STRIPE_SECRET_KEY": f"sk_test_{secrets.token_urlsafe(24)}",
    "STRIPE_PUBLISHABLE_KEY": f"pk_test_{secrets.token_urlsafe(24)}",
    "STRIPE_WEBHOOK_SECRET": f"whsec_{secrets.token_urlsafe(24)}",
    "STRIPE_TEST_MODE": "true",
    "EMAIL_PROVIDER": "postmark",
    "ANYMAIL_POSTMARK_SERVER_TOKEN": secrets.token_urlsafe(24),
    "ANYMAIL_WEBHOOK_SECRET": f"events:{secrets.token_urlsafe(24)}",
}
LIVE_KEYS = {
    "STRIPE_SECRET_KEY": f"sk_live_{secrets.token_urlsafe(24)}",
    "STRIPE_PUBLISHABLE_KEY": f"pk_live_{secrets.token_urlsafe(24)}",
}


def load(**env):
    return python_printed_json(READ, **env)


def load_started(**env):
    return python_printed_json(STARTED, **env)


@pytest.mark.parametrize("module", ["dev", "test"])
def test_local_settings_load_on_embedded_defaults(module):
    loaded = load_started(DJANGO_SETTINGS_MODULE=f"config.settings.{module}")
    assert loaded["db"] == "django.db.backends.sqlite3"
    assert loaded["db_name"].endswith("var/db.sqlite3")
    assert loaded["cache"] == "django.core.cache.backends.locmem.LocMemCache"
    assert loaded["default_storage"] == "django.core.files.storage.FileSystemStorage"
    assert loaded["private_storage"] == "media_config.storages.PrivateFileSystemStorage"
    assert loaded["stripe_base"] == "http://127.0.0.1:8420"
    assert loaded["debug"] is (module == "dev")


def test_production_settings_load_with_secrets():
    loaded = load_started(**PRODUCTION_ENV)
    assert loaded["debug"] is False
    assert loaded["hosts"] == ["shop.example.com"]
    assert loaded["static_storage"] == "whitenoise.storage.CompressedManifestStaticFilesStorage"
    assert loaded["stripe_base"] == "https://api.stripe.com"
    assert loaded["tasks"] == "django_tasks_db.DatabaseBackend"
    # Nothing kept inside the process: shared cache, files in S3.
    assert loaded["cache"] == "web.shared_cache.RedisCache"
    assert loaded["default_storage"] == "media_config.storages.PublicMediaS3Storage"
    assert loaded["private_storage"] == "media_config.storages.PrivateS3Storage"


def test_environment_chooses_database_cache_email_and_storage():
    loaded = load(
        DJANGO_SETTINGS_MODULE="config.settings.dev",
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/backcare",
        REDIS_URL="redis://127.0.0.1:6379/1",
        EMAIL_URL="smtp+tls://user:pw@mail.example.com:587",
        AWS_STORAGE_BUCKET_NAME="program-files",
        STRIPE_API_BASE="http://127.0.0.1:9999",
    )
    assert loaded["db"] == "django.db.backends.postgresql"
    assert loaded["db_name"] == "backcare"
    assert loaded["cache"] == "web.shared_cache.RedisCache"
    assert loaded["email"] == "django.core.mail.backends.smtp.EmailBackend"
    assert loaded["default_storage"] == "media_config.storages.PublicMediaS3Storage"
    assert loaded["private_storage"] == "media_config.storages.PrivateS3Storage"
    assert loaded["stripe_base"] == "http://127.0.0.1:9999"


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ("SECRET_KEY", "SECRET_KEY is not set"),
        ("ALLOWED_HOSTS", "ALLOWED_HOSTS is not set"),
        ("REDIS_URL", "REDIS_URL is not set"),
        ("AWS_STORAGE_BUCKET_NAME", "AWS_STORAGE_BUCKET_NAME is not set"),
        ("STRIPE_SECRET_KEY", "STRIPE_SECRET_KEY is not set"),
        ("STRIPE_WEBHOOK_SECRET", "STRIPE_WEBHOOK_SECRET is not set"),
        ("TRUSTED_PROXY_COUNT", "TRUSTED_PROXY_COUNT is not set"),
    ],
)
def test_production_refuses_to_start_without_a_secret(missing, message):
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != missing}
    result = run_python(READ, **env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr


def test_production_refuses_a_short_secret_key():
    result = run_python(READ, **{**PRODUCTION_ENV, "SECRET_KEY": "too-short"})
    assert result.returncode != 0
    assert "SECRET_KEY must be at least 50 characters long" in result.stderr


# Named cases: a random value in a test's name would differ between parallel workers.
@pytest.mark.parametrize(
    "weak",
    ["p" * 60, "django-insecure-" + secrets.token_urlsafe(50)],
    ids=["one-character", "django-insecure"],
)
def test_production_refuses_a_weak_secret_key(weak):
    result = run_python(READ, **{**PRODUCTION_ENV, "SECRET_KEY": weak})
    assert result.returncode != 0
    assert "SECRET_KEY looks generated for development or too repetitive" in result.stderr


def test_production_deploy_check_prints_no_warning():
    code = (
        "import sys, django; django.setup(); from django.core.management import call_command; "
        "call_command('check', deploy=True, fail_level='WARNING')"
    )
    result = run_python(code, **PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr
    assert "WARNING" not in result.stderr + result.stdout
    assert "no issues" in result.stdout + result.stderr


def refused(message: str, **env) -> bool:
    result = run_python(READ, **{**PRODUCTION_ENV, **env})
    assert result.returncode != 0, result.stdout
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr, result.stderr[-2000:]
    return True


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("STRIPE_SECRET_KEY", "sk_test_local_standin"),
        ("STRIPE_PUBLISHABLE_KEY", "pk_test_local_standin"),
        ("STRIPE_WEBHOOK_SECRET", "whsec_local_standin"),
        ("STRIPE_SECRET_KEY", "sk_test_standin"),
        ("STRIPE_SECRET_KEY", "sk_test_dummy"),
        ("STRIPE_PUBLISHABLE_KEY", "pk_test_dummy"),
        ("STRIPE_WEBHOOK_SECRET", "whsec_dummy"),
    ],
)
def test_production_refuses_the_secrets_shipped_for_local_runs_even_in_test_mode(name, value):
    assert refused(f"{name} is a development value shipped with the site", **{name: value})


def test_production_refuses_test_keys_unless_test_mode_is_set():
    assert refused(
        "STRIPE_SECRET_KEY is a test-mode key (sk_test_): set STRIPE_TEST_MODE=true",
        STRIPE_TEST_MODE="",
    )
    assert refused(
        "STRIPE_SECRET_KEY is a test-mode key (sk_test_): set STRIPE_TEST_MODE=true",
        STRIPE_TEST_MODE="false",
    )


def test_production_refuses_live_keys_in_test_mode():
    assert refused("STRIPE_TEST_MODE is on, but STRIPE_SECRET_KEY is a live key", **LIVE_KEYS)


@pytest.mark.parametrize(
    ("secret", "publishable"),
    [("sk_live_", "pk_test_"), ("sk_test_", "pk_live_"), ("rk_live_", "pk_test_")],
)
def test_production_refuses_keys_of_different_modes(secret, publishable):
    assert refused(
        "STRIPE_SECRET_KEY and STRIPE_PUBLISHABLE_KEY are from different modes",
        STRIPE_SECRET_KEY=secret + secrets.token_urlsafe(24),
        STRIPE_PUBLISHABLE_KEY=publishable + secrets.token_urlsafe(24),
    )


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("STRIPE_SECRET_KEY", "pk_live_" + "a" * 24, "STRIPE_SECRET_KEY must start with sk_"),
        ("STRIPE_PUBLISHABLE_KEY", "sk_test_" + "a" * 24, "must start with pk_"),
        ("STRIPE_WEBHOOK_SECRET", "not-a-signing-secret", "must start with whsec_"),
    ],
)
def test_production_refuses_a_key_in_the_wrong_place(name, value, message):
    assert refused(message, **{name: value})


@pytest.mark.parametrize("secret_prefix", ["sk_live_", "rk_live_"])
def test_production_takes_live_keys_without_test_mode(secret_prefix):
    loaded = load(
        **{
            **PRODUCTION_ENV,
            **LIVE_KEYS,
            "STRIPE_SECRET_KEY": secret_prefix + secrets.token_urlsafe(24),
            "STRIPE_TEST_MODE": "false",
        }
    )
    assert loaded["stripe_base"] == "https://api.stripe.com"


def test_production_takes_restricted_test_keys_in_test_mode():
    loaded = load(**{**PRODUCTION_ENV, "STRIPE_SECRET_KEY": "rk_test_" + secrets.token_urlsafe(24)})
    assert loaded["debug"] is False


def test_the_deploy_check_script_passes_with_its_explicit_test_mode():
    import subprocess

    from tests.support import ROOT
    from tests.support.processes import clean_env

    result = subprocess.run(
        ["bash", "scripts/check_deploy.sh"],
        cwd=ROOT,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "no issues" in result.stdout + result.stderr


def test_production_takes_no_proxies_when_said_explicitly():
    code = "from django.conf import settings as s; print(s.TRUSTED_PROXY_COUNT)"
    result = run_python(code, **{**PRODUCTION_ENV, "TRUSTED_PROXY_COUNT": "0"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "0"


@pytest.mark.parametrize("value", ["-1", "one", "1.5"])
def test_production_refuses_a_proxy_count_that_is_not_a_whole_number(value):
    assert refused("TRUSTED_PROXY_COUNT must be a whole number", TRUSTED_PROXY_COUNT=value)


@pytest.mark.parametrize("private_bucket", ["", "public-media"])
def test_production_refuses_program_files_in_the_public_media_bucket(private_bucket):
    assert refused(
        "Program files and public media would share the bucket public-media",
        AWS_PRIVATE_BUCKET_NAME=private_bucket,
    )


def test_production_shares_one_bucket_when_told_so():
    loaded = load(
        **{**PRODUCTION_ENV, "AWS_PRIVATE_BUCKET_NAME": "", "ALLOW_SHARED_MEDIA_BUCKET": "true"}
    )
    assert loaded["private_storage"] == "media_config.storages.PrivateS3Storage"


@pytest.mark.parametrize("provider", ["outbox", "console"])
def test_production_refuses_a_provider_that_sends_no_email(provider):
    assert refused(f"EMAIL_PROVIDER is {provider!r}, which sends no email", EMAIL_PROVIDER=provider)


def test_production_refuses_smtp_without_a_mail_server():
    assert refused(
        "EMAIL_PROVIDER=smtp needs EMAIL_URL to name a mail server",
        EMAIL_PROVIDER="smtp",
        EMAIL_URL="consolemail://",
    )


def test_production_refuses_a_provider_without_its_webhook_secret():
    assert refused(
        "EMAIL_PROVIDER=postmark needs ANYMAIL_WEBHOOK_SECRET",
        ANYMAIL_WEBHOOK_SECRET="",
    )


def test_production_refuses_an_unknown_provider_naming_the_known_ones():
    assert refused("EMAIL_PROVIDER='postmarkk' is not a provider", EMAIL_PROVIDER="postmarkk")
    assert refused("Use one of: outbox, console, smtp, amazon_ses", EMAIL_PROVIDER="postmarkk")


def test_production_sends_through_the_provider_named_with_its_credentials():
    code = (
        "import json; from django.conf import settings as s; "
        "print(json.dumps([s.EMAIL_PROVIDER, s.EMAIL_BACKEND, sorted(s.ANYMAIL)]))"
    )
    assert python_printed_json(code, **PRODUCTION_ENV) == [
        "postmark",
        "anymail.backends.postmark.EmailBackend",
        ["POSTMARK_SERVER_TOKEN", "WEBHOOK_SECRET"],
    ]
    smtp = {**PRODUCTION_ENV, "EMAIL_PROVIDER": "smtp", "EMAIL_URL": "smtp+tls://u:p@mail:587"}
    assert python_printed_json(code, **smtp)[:2] == [
        "smtp",
        "django.core.mail.backends.smtp.EmailBackend",
    ]


def test_locally_every_email_is_kept_in_the_outbox_and_printed():
    code = (
        "import json; from django.conf import settings as s; "
        "print(json.dumps([s.EMAIL_PROVIDER, s.EMAIL_BACKEND, s.EMAIL_OUTBOX_FORWARD_BACKEND]))"
    )
    assert python_printed_json(code, DJANGO_SETTINGS_MODULE="config.settings.dev") == [
        "outbox",
        "shop.emails.outbox.OutboxBackend",
        "django.core.mail.backends.console.EmailBackend",
    ]
