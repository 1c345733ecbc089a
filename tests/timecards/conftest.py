import pytest

from cards.timecards.models import private_storage


@pytest.fixture(autouse=True)
def _photos_in_a_temporary_folder(tmp_path, monkeypatch):
    monkeypatch.setattr(private_storage, "location", str(tmp_path))
    monkeypatch.setattr(private_storage, "base_location", str(tmp_path))
