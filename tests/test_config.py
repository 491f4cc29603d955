from __future__ import annotations

import tomllib

import pytest

from arenavotes.config import Settings, default_toml
from arenavotes.errors import UserError


def test_defaults_and_roundtrip_of_the_commented_file() -> None:
    text = default_toml()
    assert "[ingest]" in text and "# max_raw_chars = 20000" in text
    # uncommenting every line gives the defaults back
    uncommented = "\n".join(
        line.removeprefix("# ") for line in text.splitlines() if not line.startswith("# arenavotes")
    )
    assert Settings.from_mapping(tomllib.loads(uncommented)) == Settings()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"ingets": {}}, "unknown section [ingets]"),
        ({"ingest": {"max_raw_char": 1}}, "unknown key 'max_raw_char' in [ingest]"),
        ({"ingest": {"max_raw_chars": "many"}}, "[ingest] max_raw_chars must be an integer"),
        ({"ingest": {"max_raw_chars": -1}}, "[ingest] max_raw_chars must be >= 0"),
        ({"ingest": {"max_raw_chars": True}}, "must be an integer"),
        ({"privacy": {"secret_env": " "}}, "[privacy] secret_env must not be empty"),
        ({"ingest": 3}, "[ingest] must be a table"),
    ],
)
def test_bad_settings_name_section_and_key(data: dict, message: str) -> None:
    with pytest.raises(UserError, match=message.replace("[", r"\[").replace("]", r"\]")):
        Settings.from_mapping(data, origin="ws/arenavotes.toml")


def test_settings_are_frozen_and_hash_is_stable() -> None:
    s = Settings.from_mapping({"ingest": {"max_raw_chars": 10}})
    with pytest.raises(AttributeError):
        s.ingest.max_raw_chars = 5  # type: ignore[misc]
    assert s.section_hash("ingest") == Settings.from_mapping({"ingest": {"max_raw_chars": 10}}).section_hash("ingest")
    assert s.section_hash("ingest") != Settings().section_hash("ingest")


def test_invalid_toml_file_is_a_user_error(tmp_path) -> None:
    p = tmp_path / "arenavotes.toml"
    p.write_text("[ingest\n")
    with pytest.raises(UserError, match="not valid TOML"):
        Settings.load(p)
