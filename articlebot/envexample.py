"""`.env.example`, generated from the Settings model so it lists every setting with its default.

`make env-example` rewrites the file; tests/test_envexample.py fails when it has drifted from the model.
"""

from __future__ import annotations

import sys
import textwrap
from enum import Enum
from pathlib import Path

from pydantic import SecretStr
from pydantic.fields import FieldInfo

from .settings import PROJECT_DIR, Settings, env_name

HEADER = """\
# articlebot settings: copy to .env (`cp .env.example .env`) and uncomment what you change.
# Every line shows the default; the environment wins over this file. The file read is .env in the
# project directory (from a checkout; ~/.config/articlebot/.env when installed), whatever the current
# directory, or the file named by ARTICLEBOT_ENV_FILE.
# Generated from articlebot/settings.py by `make env-example`: edit the model, not this file.
"""


def shown_default(info: FieldInfo) -> str:
    """The default as it would be written in .env (paths inside the project shown relative to it)."""
    if info.default_factory is not None:  # computed at start (e.g. the data dir): its description says how
        return ""
    value = info.get_default()
    if value is None or isinstance(value, SecretStr):
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, (list, tuple)):
        return ",".join(shown_path(str(v)) for v in value)
    return shown_path(str(value))


def shown_path(text: str) -> str:
    prefix = str(PROJECT_DIR) + "/"
    return text[len(prefix):] if text.startswith(prefix) else text


def render() -> str:
    """The whole file: a comment block per setting, then the commented-out default."""
    blocks = [HEADER]
    for field, info in Settings.model_fields.items():
        about = textwrap.wrap(info.description or "", width=100)
        lines = [f"# {line}" for line in about]
        lines.append(f"# {env_name(field)}={shown_default(info)}")
        blocks.append("\n".join(lines) + "\n")
    return "\n".join(blocks)


def main() -> None:
    """Write the file into the project (or to the path given)."""
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else PROJECT_DIR / ".env.example"
    target.write_text(render(), encoding="utf-8")
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
