"""The bot speaks Korean or English per user: every message in both, the same fields and tags in each,
no user-facing string left inline, and the command menu set per language."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest
from conftest import ROOT
from fakes.bot_harness import ADMIN, USER, ScriptedAnswerer, bot_settings, from_bot, running_bot
from fakes.telegram_server import FakeTelegram

from bot import texts
from bot.texts import Text, language

ALL = {name: value for name, value in vars(texts).items() if isinstance(value, Text)}
ALL.update({f"command {k}": v for k, v in {**texts._USER_COMMANDS, **texts._ADMIN_COMMANDS}.items()})
ALL.update({f"error {kind.__name__}": v for kind, v in texts._ERRORS})
ALL.update({f"{n} {i}": v for n in ("RELOADING", "ADDING") for i, v in enumerate(getattr(texts, n))})


def fields(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


@pytest.mark.parametrize("name", sorted(ALL))
def test_each_message_has_both_languages_with_the_same_fields_and_tags(name):
    text = ALL[name]
    assert text.en.strip() and text.ko.strip()
    assert fields(text.en) == fields(text.ko) or name.startswith("error ArticleNotFound")
    assert sorted(re.findall(r"</?\w+", text.en)) == sorted(re.findall(r"</?\w+", text.ko))
    assert re.search(r"[가-힣]", text.ko), "the Korean text is Korean"
    assert sorted(re.findall(r"(?<![<\w])/[a-z]+", text.en)) == sorted(re.findall(r"(?<![<\w])/[a-z]+", text.ko)), \
        "the same commands are named"


def test_language_follows_the_app_else_the_default():
    assert language("ko", "en") == "ko" and language("ko-KR", "en") == "ko"
    assert language("en", "ko") == "en" and language("ja", "ko") == "en" and language("EN-us", "ko") == "en"
    assert language(None, "ko") == "ko" and language("", "en") == "en"


def test_command_menus_are_valid_for_telegram():
    for lang in texts.LANGUAGES:
        user, admin = texts.commands(lang), texts.commands(lang, admin=True)
        assert [c.command for c in user] == [c.command for c in admin][:len(user)]
        for c in admin:
            assert re.fullmatch(r"[a-z0-9_]{1,32}", c.command) and 1 <= len(c.description) <= 256


def _prose(module: Path) -> list[str]:
    """String literals that read like messages to a person, outside docstrings, logs and exceptions."""
    tree = ast.parse(module.read_text(encoding="utf-8"))
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                skip.add(id(first.value))
        is_log = isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and (
            isinstance(node.func.value, ast.Name) and node.func.value.id == "log")
        if is_log or isinstance(node, ast.Raise):
            skip.update(id(n) for n in ast.walk(node))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
            words = re.sub(r"<[^<>]*>", " ", node.value)  # markup is not prose
            if re.search(r"[A-Za-z가-힣]+[,.:!?]? [A-Za-z가-힣]+", words) and not node.value.startswith("^"):
                found.append(node.value)
    return found


@pytest.mark.parametrize("name", ["admin.py", "conversation.py", "render.py", "handlers.py", "choose.py", "scope.py"])
def test_no_user_facing_string_is_left_outside_texts(name):
    assert _prose(ROOT / "bot" / name) == []


async def test_each_user_gets_the_language_of_their_app(tmp_path, service):
    with FakeTelegram() as tg:
        tg.user_languages.update({USER: "ko", 1002: "en", 1003: None})
        async with running_bot(bot_settings(tg, tmp_path), service, ScriptedAnswerer(service)):
            tg.message("/help", user_id=USER)
            assert "명령어" in (await tg.wait("sendMessage", from_bot(USER, "/sources"))).params["text"]
            tg.message("/help", user_id=1002)
            assert "<b>Commands</b>" in (await tg.wait("sendMessage", from_bot(1002, "/sources"))).params["text"]
            tg.message("/help", user_id=1003)  # no language from the app: the default, Korean
            assert "명령어" in (await tg.wait("sendMessage", from_bot(1003, "/sources"))).params["text"]
            tg.message("서울관에는 스타트업이 몇 개 참여했나?", user_id=USER)
            answer = await tg.wait("sendMessage", lambda c: c.params.get("chat_id") == USER
                                   and "reply_markup" in c.params)
            assert "출처" in str(answer.params["reply_markup"])
            tg.message("/reload", user_id=USER)
            assert "관리자만" in (await tg.wait("sendMessage", from_bot(USER, "관리자만"))).params["text"]


async def test_the_default_language_setting_applies_when_the_app_sends_none(tmp_path, service):
    with FakeTelegram(language_code=None) as tg:
        async with running_bot(bot_settings(tg, tmp_path, default_language="en"), service, ScriptedAnswerer(service)):
            tg.message("/start", user_id=USER)
            assert "Hello!" in (await tg.wait("sendMessage", from_bot(USER, "article"))).params["text"]


async def test_command_menus_are_set_per_language(tmp_path, service):
    with FakeTelegram() as tg:
        async with running_bot(bot_settings(tg, tmp_path), service, ScriptedAnswerer(service)):
            await tg.wait("setMyCommands", lambda c: c.params.get("scope", {}).get("chat_id") == ADMIN
                          and c.params.get("language_code") == "en")
        menus = {(c.params["scope"]["type"], c.params.get("language_code")): c.params["commands"]
                 for c in tg.calls_to("setMyCommands")}
    assert {("default", None), ("default", "ko"), ("default", "en"), ("chat", "ko")} <= set(menus)
    described = {c["command"]: c["description"] for c in menus[("default", "ko")]}
    assert described["reset"] == texts._USER_COMMANDS["reset"].ko
    assert menus[("default", None)] == menus[("default", "ko")], "the default language for other apps"
    assert {c["command"]: c["description"] for c in menus[("default", "en")]}["reset"].startswith("Forget")
