"""Deployment files (Dockerfile, compose.yaml, the systemd unit, .env.example) name things that exist.

Docker cannot run here, so these read the files: every path copied exists, every command exists,
every variable is a setting, and the image is built by the same `make sync` CI runs.
"""

from __future__ import annotations

import configparser
import re
import shlex
import subprocess
import tomllib

import pytest
import yaml
from conftest import ROOT, VENV_BIN

from articlebot.cli import app
from articlebot.envexample import render
from articlebot.settings import Settings, env_name

SETTING_NAMES = {env_name(f) for f in Settings.model_fields}
COMMANDS = {c.name or c.callback.__name__ for c in app.registered_commands}


def dockerfile() -> list[tuple[str, str]]:
    """(instruction, arguments) pairs, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text(encoding="utf-8"))
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))


def test_dockerfile_copies_only_files_that_exist_and_are_not_ignored():
    ignored = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines() if line.strip()}
    copies = [args for ins, args in dockerfile() if ins == "COPY" and not args.startswith("--from")]
    assert copies
    for args in copies:
        *sources, _dest = shlex.split(args)
        for src in sources:
            assert (ROOT / src).exists(), f"Dockerfile copies {src}, which is not in the repository"
            assert src.rstrip("/") not in ignored, f"{src} is copied but .dockerignore leaves it out"
    # Everything the wheel packages must be in the image, or the editable install points at nothing.
    packaged = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["hatch"]["build"]
    wanted = set(packaged["targets"]["wheel"]["packages"]) | set(packaged["targets"]["wheel"]["force-include"])
    copied = {src.rstrip("/") for args in copies for src in shlex.split(args)[:-1]}
    assert wanted <= copied, f"not copied into the image: {wanted - copied}"


def test_image_is_built_like_ci_multi_stage_non_root_with_a_volume_and_healthcheck():
    steps = dockerfile()
    stages = [args for ins, args in steps if ins == "FROM"]
    assert len(stages) >= 2, "multi-stage: the build tools stay out of the final image"
    runs = " ".join(args for ins, args in steps if ins == "RUN")
    assert "make sync SYNC_ARGS=--no-dev" in runs
    makefile = (ROOT / "Makefile").read_text()
    assert "sync --locked" in makefile and "$(SYNC_ARGS)" in makefile, "make sync must be `uv sync --locked`"
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in ci and re.search(r"^test: \$\(VENV\)/\.synced", makefile, re.M), \
        "CI's venv comes from the same make rule"
    users = [args for ins, args in steps if ins == "USER"]
    assert users and users[-1] not in ("root", "0")
    volumes = " ".join(args for ins, args in steps if ins == "VOLUME")
    env = " ".join(args for ins, args in steps if ins == "ENV")
    data_dir = re.search(r"ARTICLEBOT_DATA_DIR=(\S+)", env).group(1)
    assert data_dir in volumes, "the data dir is the volume"
    [health] = [args for ins, args in steps if ins == "HEALTHCHECK"]
    cmd = yaml.safe_load(health.split("CMD", 1)[1])
    assert cmd[0] == "articlebot" and cmd[1] in COMMANDS
    [cmd] = [yaml.safe_load(args) for ins, args in steps if ins == "CMD"]
    assert cmd[0] == "articlebot" and cmd[1] in COMMANDS
    for name in re.findall(r"\b(ARTICLEBOT_\w+)=", env):
        assert name in SETTING_NAMES, f"Dockerfile sets {name}, which is no setting"


def test_python_of_the_image_is_one_the_project_supports():
    [arg] = [args for ins, args in dockerfile() if ins == "ARG" and args.startswith("PYTHON_VERSION=")]
    version = tuple(int(p) for p in arg.split("=")[1].split("."))
    spec = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    low = tuple(int(p) for p in re.search(r">=\s*([\d.]+)", spec).group(1).split("."))
    high = tuple(int(p) for p in re.search(r"<\s*([\d.]+)", spec).group(1).split("."))
    assert low <= version < high


def test_compose_runs_the_bot_and_a_chroma_server_with_their_own_volumes():
    doc = compose()
    bot, chroma = doc["services"]["bot"], doc["services"]["chroma"]
    for service in (bot, chroma):
        assert service["restart"] == "unless-stopped"
    assert bot["env_file"] == ".env" or ".env" in bot["env_file"]
    for name in bot.get("environment", {}):
        assert name in SETTING_NAMES, f"compose sets {name}, which is no setting"
    assert bot["environment"]["ARTICLEBOT_CHROMA_HOST"] == "chroma"
    command = chroma["command"]
    assert command[:2] == ["chroma", "run"] and (VENV_BIN / "chroma").exists()
    port = command[command.index("--port") + 1]
    assert str(bot["environment"]["ARTICLEBOT_CHROMA_PORT"]) == port
    path = command[command.index("--path") + 1]
    volumes = {v.split(":")[0]: v.split(":")[1] for v in chroma["volumes"]}
    assert path in volumes.values(), "the chroma data is on its own volume"
    bot_volumes = {v.split(":")[0]: v.split(":")[1] for v in bot["volumes"]}
    assert not set(volumes) & set(bot_volumes)
    assert set(volumes) | set(bot_volumes) <= set(doc["volumes"])
    assert "/app/var" in bot_volumes.values()
    assert bot["depends_on"]["chroma"]["condition"] == "service_healthy"


@pytest.mark.slow
def test_the_chroma_command_in_compose_accepts_its_options():
    helped = subprocess.run([str(VENV_BIN / "chroma"), "run", "--help"], capture_output=True, text=True,
                            timeout=60)
    for option in ("--host", "--port", "--path"):
        assert option in helped.stdout


def test_service_unit_sets_working_directory_and_environment_file():
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str
    unit.read(ROOT / "deploy" / "articlebot.service")
    service = unit["Service"]
    workdir = service["WorkingDirectory"]
    assert service["EnvironmentFile"] == f"{workdir}/.env"
    exec_start = shlex.split(service["ExecStart"])
    assert exec_start[0] == f"{workdir}/.venv/bin/articlebot" and exec_start[1] in COMMANDS
    assert unit["Install"]["WantedBy"]


def test_env_example_is_generated_from_the_settings():
    assert (ROOT / ".env.example").read_text(encoding="utf-8") == render(), \
        ".env.example is out of date: run `make env-example`"


def test_env_example_lists_every_setting_with_its_description():
    text = (ROOT / ".env.example").read_text(encoding="utf-8")
    for field, info in Settings.model_fields.items():
        assert re.search(rf"^# {env_name(field)}=", text, re.M), f"{env_name(field)} missing"
        assert info.description, f"{field} needs a description (it documents .env.example)"


def test_env_example_copied_to_env_gives_the_defaults_and_every_shown_default_is_valid(tmp_path, monkeypatch):
    """`cp .env.example .env` changes nothing; uncommenting a line as it stands is a valid setting."""
    import os

    from articlebot.settings import load_settings

    for key in list(os.environ):
        if key.startswith(("ARTICLEBOT_", "OPENAI_", "TELEGRAM_")):
            monkeypatch.delenv(key)
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    (tmp_path / ".env").write_text(example, encoding="utf-8")
    monkeypatch.setenv("ARTICLEBOT_ENV_FILE", str(tmp_path / ".env"))
    assert load_settings() == load_settings(_env_file=None)
    uncommented = "\n".join(line[2:] if re.match(r"# [A-Z_]+=", line) else line for line in example.splitlines())
    (tmp_path / ".env").write_text(uncommented, encoding="utf-8")
    assert load_settings() == load_settings(_env_file=None)
