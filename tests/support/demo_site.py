"""The demo site, loaded once for the tests of a module that ask for it (``demo_site``).

Loading it takes a second or two (pages published, the search and reference indexes updated
at once, pictures drawn). As Django's ``TestCase.setUpTestData`` does, it is loaded in an
outer transaction on every test database and rolled back when the module's tests are done.
Each test's own transaction (pytest-django's, made of ``TestCase`` atomics) is a savepoint
inside it: what a test changes is undone after that test, and the demo stays for the next.

Two kinds of tests must never run inside that transaction, and never do:

- transactional ones (``transaction=True``, ``transactional_db``, ``live_server``): other
  connections cannot see rows that were never committed, and their flush would empty the
  demo. They load the demo themselves, committed, as every test once did;
- tests that do not ask for the demo: they find the site as the migrations left it.

The module's demo is rolled back before such a test, and loaded again before the next test
that asks for it; a module's tests that ask for it run after its others
(:func:`module_demo_tests_last`), so each module loads it once.

Caches outlive a rolled-back test: each test given the module's demo starts with them empty,
so none holds what an earlier test wrote and took back (``caches_empty``).
"""

from io import StringIO
from itertools import groupby

import pytest
from django.core.management import call_command
from django.db import connections, transaction
from pytest_django.fixtures import validate_django_db

TRANSACTIONAL_FIXTURES = frozenset(
    {
        "transactional_db",
        "live_server",
        "django_db_reset_sequences",
        "django_db_serialized_rollback",
    }
)


def demo_load() -> None:
    call_command("load_demo_content", stdout=StringIO())


def transactional(item: pytest.Item) -> bool:
    """Whether pytest-django runs the test as a ``TransactionTestCase``."""
    if set(getattr(item, "fixturenames", ())) & TRANSACTIONAL_FIXTURES:
        return True
    marker = item.get_closest_marker("django_db")
    if marker is None:
        return False
    transaction_, reset_sequences, *_ = validate_django_db(marker)
    return transaction_ or reset_sequences


def wants_module_demo(item: pytest.Item) -> bool:
    """Whether the test asks for the demo and may run inside the module's transaction."""
    return "demo_site" in getattr(item, "fixturenames", ()) and not transactional(item)


def module_demo_tests_last(items: list[pytest.Item]) -> None:
    """Within each module's run of tests, the ones given the module's demo go after the others,
    in their own order: the demo is then loaded once and never rolled back early.

    Transactional tests stay where pytest-django put them, after every other: they empty the
    database when they end.
    """
    ordered: list[pytest.Item] = []
    for _, run in groupby(
        items, key=lambda item: (getattr(item, "module", None), transactional(item))
    ):
        tests = list(run)
        ordered += [item for item in tests if not wants_module_demo(item)]
        ordered += [item for item in tests if wants_module_demo(item)]
    items[:] = ordered


def caches_empty() -> None:
    """Forget what caches hold: Wagtail's site root paths and renditions, the content version
    and everything kept under it, Django's current Site."""
    from django.contrib.sites.models import Site as DjangoSite
    from django.core.cache import caches

    for cache in caches.all():
        cache.clear()
    DjangoSite.objects.clear_cache()


class ModuleDemo:
    """The demo site of one test module, in an outer transaction of its own."""

    def __init__(self, module, db_blocker) -> None:
        self.module = module
        self._db_blocker = db_blocker
        self._atomics: dict[str, transaction.Atomic] = {}

    @property
    def loaded(self) -> bool:
        return bool(self._atomics)

    def load(self) -> None:
        with self._db_blocker.unblock():
            for alias in connections:
                if connections[alias].settings_dict["TEST"]["MIRROR"]:
                    continue
                atomic = transaction.atomic(using=alias)
                # Marked as TestCase marks its own, so that a durable block in the code under
                # test may nest inside it as it does inside a test's transaction.
                atomic._from_testcase = True
                atomic.__enter__()
                self._atomics[alias] = atomic
            try:
                demo_load()
            except BaseException:
                self.unload()
                raise

    def unload(self) -> None:
        with self._db_blocker.unblock():
            while self._atomics:
                alias, atomic = self._atomics.popitem()
                transaction.set_rollback(True, using=alias)
                atomic.__exit__(None, None, None)


# The module demo of the module whose tests are running, and the test being set up.
_module_demo: ModuleDemo | None = None
_test_setting_up: pytest.Item | None = None


def module_demo_before_test(item: pytest.Item) -> None:
    """Before a test's fixtures: roll the module's demo back if this test must not see it, or
    load it again if it asks for it and an earlier test had it rolled back."""
    global _test_setting_up
    _test_setting_up = item
    demo = _module_demo
    if demo is None or demo.module is not getattr(item, "module", None):
        return
    wants = wants_module_demo(item)
    if wants and not demo.loaded:
        demo.load()
    elif not wants and demo.loaded:
        demo.unload()


def module_demo_fixture(module, db_blocker):
    """The body of the module-scoped fixture: set up, as every fixture of its scope, before
    any test's own, so the outer transaction is open before the test's savepoint."""
    global _module_demo
    demo = _module_demo = ModuleDemo(module, db_blocker)
    if _test_setting_up is not None and wants_module_demo(_test_setting_up):
        demo.load()
    try:
        yield demo
    finally:
        _module_demo = None
        demo.unload()


def demo_site_for_test(demo: ModuleDemo):
    """The home page of the demo, as loaded, for the test being set up."""
    from home.models import HomePage

    if demo.loaded:
        caches_empty()
    else:
        demo_load()
    return HomePage.objects.get()
