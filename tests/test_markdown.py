"""The model's Markdown as Telegram HTML (bot) and as plain text (CLI and JSON); markers survive in lists."""

from __future__ import annotations

from bot.render import answer_html, draft_text
from retrieval.llm.markdown import to_html, to_plain
from retrieval.models import Answer

GPT_STYLE = "## 서울관\n\n- **13개 기관**이 참여했습니다 [1].\n- 스타트업 *81개 기업*도 참여했습니다 [1][2].\n\n1. 첫째 [2].\n2. 둘째 [3]."


def test_markdown_becomes_telegram_html_with_lists_as_lines():
    assert to_html(GPT_STYLE) == ("<b>서울관</b>\n• <b>13개 기관</b>이 참여했습니다 [1].\n"
                                  "• 스타트업 <i>81개 기업</i>도 참여했습니다 [1][2].\n1. 첫째 [2].\n2. 둘째 [3].")


def test_markdown_becomes_plain_text_without_asterisks_or_hashes():
    plain = to_plain(GPT_STYLE)
    assert "*" not in plain and "#" not in plain and "• 13개 기관이 참여했습니다 [1]." in plain


def test_text_is_escaped_and_raw_html_is_not_markup():
    assert to_html("**<b>굵게</b> & 기사** [1]") == "<b>&lt;b&gt;굵게&lt;/b&gt; &amp; 기사</b> [1]"
    assert to_html("2 * 3 = 6, a_b_c [1]") == "2 * 3 = 6, a_b_c [1]"


def test_the_bot_renders_the_formatted_answer_and_plain_drafts():
    ans = Answer("q", "q", to_plain(GPT_STYLE), True, "llm", formatted=GPT_STYLE)
    html = answer_html(ans)
    assert "<b>13개 기관</b>" in html and "**" not in html
    assert "**" not in draft_text("- **13개 기관**이 참여했습니다 [1].")
    extractive = Answer("q", "q", "- 기사 문장 *그대로* [1]", True, "extractive")
    assert answer_html(extractive) == "- 기사 문장 *그대로* [1]"  # article text is never read as Markdown
