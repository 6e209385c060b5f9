"""Settings read a variable from the environment or from the file its NAME_FILE names."""

from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.env import SecretFileMapping

SECRET = "s3cret-value-that-must-never-be-echoed"


def read(environ: dict[str, str], key: str = "SECRET_KEY") -> str:
    return SecretFileMapping(env=environ)[key]


def test_a_variable_is_read_from_the_environment() -> None:
    assert read({"SECRET_KEY": SECRET}) == SECRET


def test_a_variable_is_read_from_its_file_without_the_final_newline(tmp_path: Path) -> None:
    secret = tmp_path / "secret_key"
    secret.write_text(f"{SECRET}\n")

    assert read({"SECRET_KEY_FILE": str(secret)}) == SECRET


def test_an_empty_variable_beside_its_file_counts_as_unset(tmp_path: Path) -> None:
    secret = tmp_path / "secret_key"
    secret.write_text(SECRET)

    assert read({"SECRET_KEY": "", "SECRET_KEY_FILE": str(secret)}) == SECRET


def test_an_unset_variable_stays_unset() -> None:
    with pytest.raises(KeyError):
        read({})


def test_both_set_is_refused_by_name(tmp_path: Path) -> None:
    secret = tmp_path / "secret_key"
    secret.write_text(SECRET)

    with pytest.raises(ImproperlyConfigured, match=r"^Set SECRET_KEY or SECRET_KEY_FILE, not both"):
        read({"SECRET_KEY": "other", "SECRET_KEY_FILE": str(secret)})


@pytest.mark.parametrize(
    ("content", "reason"),
    [(None, "cannot be read"), ("", "empty"), ("\n  \n", "empty"), (b"\xff\xfe", "cannot be read")],
)
def test_a_missing_unreadable_or_empty_file_is_refused_by_name_without_its_content(
    tmp_path: Path, content: str | bytes | None, reason: str
) -> None:
    secret = tmp_path / "secret_key"
    if isinstance(content, bytes):
        secret.write_bytes(content)
    elif content is not None:
        secret.write_text(content)

    with pytest.raises(ImproperlyConfigured, match=f"^SECRET_KEY_FILE names .*{reason}") as error:
        read({"SECRET_KEY_FILE": str(secret)})
    assert str(secret) not in str(error.value)
