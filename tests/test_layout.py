"""The design card's layout, and the `site/` folder that must never become a package."""

import subprocess
import sys

from tests.support import ROOT

TOP_LEVEL = [
    "manage.py",
    "site",
    "shop",
    "home",
    "media_config",
    "tests",
    "requirements.txt",
    "Procfile",
    "config",
    "web",
    "pyproject.toml",
    "Makefile",
    "README.md",
    ".ci/run",
]


def test_top_level_layout():
    missing = [name for name in TOP_LEVEL if not (ROOT / name).exists()]
    assert missing == []


def test_settings_split_by_environment():
    for name in ("base", "dev", "test", "production"):
        assert (ROOT / "config" / "settings" / f"{name}.py").is_file()


def test_config_holds_only_settings_urls_and_wsgi():
    names = sorted(p.name for p in (ROOT / "config").iterdir() if p.name != "__pycache__")
    assert names == ["__init__.py", "settings", "urls.py", "wsgi.py"]


def test_site_holds_only_templates_and_static():
    site = ROOT / "site"
    assert sorted(p.name for p in site.iterdir()) == ["static", "templates"]
    python_files = [str(p.relative_to(ROOT)) for p in site.rglob("*.py")]
    assert python_files == [], "site/ must hold no Python: it would shadow the stdlib `site`"


def test_site_folder_is_not_git_ignored():
    for path in ("site/templates/base.html", "site/static/css/site.css"):
        result = subprocess.run(
            ["git", "check-ignore", "--no-index", "-q", path], cwd=ROOT, check=False
        )
        assert result.returncode == 1, f"{path} is ignored by .gitignore"


def test_stdlib_site_module_is_not_shadowed():
    result = subprocess.run(
        [sys.executable, "-c", "import site; print(site.__file__)"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert not result.stdout.strip().startswith(str(ROOT / "site"))
    assert "getsitepackages" in dir(__import__("site"))
