"""Local storages: the default for development, and the check against them."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from media_config.storages import PrivateFileSystemStorage, private_storage_get


@pytest.fixture
def local_storages(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media"), "base_url": "/media/"},
        },
        "private": {
            "BACKEND": "media_config.storages.PrivateFileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "private")},
        },
    }
    return tmp_path


def test_private_files_have_no_url(local_storages):
    storage = private_storage_get()

    assert isinstance(storage, PrivateFileSystemStorage)
    with pytest.raises(NotImplementedError):
        storage.url("program/book.pdf")


def test_storage_check_passes_on_local_folders(local_storages):
    out = StringIO()
    call_command("storage_check", stdout=out)

    assert "default (FileSystemStorage" in out.getvalue()
    assert "private (PrivateFileSystemStorage" in out.getvalue()
    assert out.getvalue().count("OK — write, read, delete") == 2


def test_storage_check_says_when_a_folder_cannot_be_written(local_storages):
    (local_storages / "private").write_text("a file where the folder should be")
    err = StringIO()

    with pytest.raises(CommandError, match="private"):
        call_command("storage_check", "private", stdout=StringIO(), stderr=err)

    assert "could not write" in err.getvalue()
