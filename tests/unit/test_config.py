"""Configuration: where settings are read from, and how a mistake in them is reported."""

from __future__ import annotations

import pytest

from prodcheck.config import Config, ConfigError, load_config
from tests.helpers import build_tree


def test_without_any_configuration_every_setting_is_a_default(tmp_path):
    loaded = load_config(tmp_path)

    assert loaded.config == Config()
    assert loaded.config.source is None
    assert loaded.warning is None


def test_a_pyproject_without_a_prodcheck_table_gives_the_defaults(tmp_path):
    build_tree(tmp_path, {"pyproject.toml": "[tool.ruff]\nline-length = 100\n"})

    assert load_config(tmp_path).config == Config()


def test_settings_are_read_from_tool_prodcheck_in_pyproject(tmp_path):
    build_tree(
        tmp_path,
        {
            "pyproject.toml": """
        [tool.prodcheck]
        target_stage = 1
        ignore = ["OWN003"]
        min_roi = 0.25
        business_case = "./docs/case.md"

        [tool.prodcheck.per_path_ignores]
        "legacy/**" = ["DATA", "NB002"]
    """
        },
    )

    config = load_config(tmp_path).config

    assert config.target_stage == 1
    assert config.ignore == ("OWN003",)
    assert config.min_roi == 0.25
    assert config.business_case == "docs/case.md"
    assert config.per_path_ignores == {"legacy/**": ("DATA", "NB002")}
    assert config.source == "pyproject.toml [tool.prodcheck]"


def test_kebab_case_keys_are_accepted(tmp_path):
    build_tree(
        tmp_path,
        {
            "pyproject.toml": """
        [tool.prodcheck]
        target-stage = 2
        max-data-kb = 500

        [tool.prodcheck.per-path-ignores]
        "tests/" = ["DATA001"]
    """
        },
    )

    config = load_config(tmp_path).config

    assert (config.target_stage, config.max_data_kb) == (2, 500)
    assert config.per_path_ignores == {"tests/": ("DATA001",)}


def test_a_dedicated_prodcheck_toml_wins_over_pyproject(tmp_path):
    build_tree(
        tmp_path,
        {
            "pyproject.toml": "[tool.prodcheck]\ntarget_stage = 3\nmin_roi = 1.0\n",
            ".prodcheck.toml": "target_stage = 1\n",
        },
    )

    config = load_config(tmp_path).config

    assert config.target_stage == 1
    assert config.min_roi == 0.0, "the two files are not merged"
    assert config.source == ".prodcheck.toml"


def test_a_pyproject_that_is_not_toml_warns_and_gives_the_defaults(tmp_path):
    build_tree(tmp_path, {"pyproject.toml": "[project\nname = 'pilot'\n"})

    loaded = load_config(tmp_path)

    assert loaded.config == Config()
    assert loaded.warning is not None
    assert "pyproject.toml is not valid TOML" in loaded.warning


@pytest.mark.parametrize(
    "content", ["target_stage = \n", b"target_stage = '\xff'\n"], ids=["not TOML", "not UTF-8"]
)
def test_a_prodcheck_toml_that_cannot_be_read_is_an_error_naming_it(tmp_path, content):
    build_tree(tmp_path, {".prodcheck.toml": content})

    with pytest.raises(ConfigError, match=r"\.prodcheck\.toml is not valid TOML"):
        load_config(tmp_path)


@pytest.mark.parametrize("file", ["pyproject.toml", ".prodcheck.toml"])
def test_an_unknown_setting_is_an_error_naming_the_key_and_the_file(tmp_path, file):
    table = "[tool.prodcheck]\n" if file == "pyproject.toml" else ""
    build_tree(tmp_path, {file: table + "target_stage = 1\ntarget_stag = 2\n"})

    with pytest.raises(ConfigError, match=rf"{file}.*unknown setting 'target_stag'; known: "):
        load_config(tmp_path)


@pytest.mark.parametrize(
    ("setting", "named"),
    [
        ("target_stage = '2'", "target_stage must be a whole number"),
        ("target_stage = true", "target_stage must be a whole number"),
        ("target_stage = 4", "target_stage must be 0-3, got 4"),
        ("max_data_kb = -1", "max_data_kb must be a whole number >= 0"),
        ("max_file_kb = 1.5", "max_file_kb must be a whole number"),
        ("min_roi = '25%'", "min_roi must be a number"),
        ("business_case = ''", "business_case must be a path"),
        ("ignore = [1, 2]", "ignore must be a list of strings"),
        ("select = {BC = true}", "select must be a list of strings"),
        ("fixtures = 3", "fixtures must be a list of strings"),
        ("per_path_ignores = ['tests/']", "per_path_ignores must be a table"),
        ("per_path_ignores = {'tests/' = 7}", "per_path_ignores.tests/ must be a list of strings"),
    ],
)
def test_a_setting_of_the_wrong_type_is_an_error_naming_it(tmp_path, setting, named):
    build_tree(tmp_path, {".prodcheck.toml": setting + "\n"})

    with pytest.raises(ConfigError, match=f"^.prodcheck.toml: {named}"):
        load_config(tmp_path)


def test_a_prodcheck_table_that_is_not_a_table_is_an_error(tmp_path):
    build_tree(tmp_path, {"pyproject.toml": "[tool]\nprodcheck = 'strict'\n"})

    with pytest.raises(ConfigError, match="expected a table of settings"):
        load_config(tmp_path)


@pytest.mark.parametrize(
    ("setting", "attribute", "value"),
    [
        ("ignore = 'BC006'", "ignore", ("BC006",)),
        ("min_roi = 1", "min_roi", 1.0),
        ("target_stage = 0", "target_stage", 0),
        ("fixtures = ['data/samples/']", "fixtures", ("data/samples/",)),
    ],
    ids=["a single id for a list", "a whole number for a ratio", "stage 0", "fixtures"],
)
def test_forgiving_spellings_of_a_valid_setting_are_accepted(tmp_path, setting, attribute, value):
    build_tree(tmp_path, {".prodcheck.toml": setting + "\n"})

    assert getattr(load_config(tmp_path).config, attribute) == value


def test_the_read_limit_is_set_in_kilobytes(tmp_path):
    build_tree(tmp_path, {".prodcheck.toml": "max_file_kb = 2\n"})

    assert load_config(tmp_path).config.max_file_bytes == 2048
