"""Is this a request for a summary? Shared by the offline answerer and the LLM chain.

A summary request ("이 기사 요약해줘", "핵심만 알려줘", "what is the article about?") wants 3-5 central
sentences of one article, not the one sentence that answers a fact question.
"""

from __future__ import annotations

import re

from .evidence import clean_question

_KO = re.compile(r"요약|요점|간추려|줄거리|개요|골자|핵심(만|\s*내용|\s*정리|을\s*(알려|정리|짚))"
                 r"|기사.*((무슨|어떤|뭔)\s*내용|(무엇|뭐)에\s*(대한|관한)|정리해)|주요\s*내용(을|만)?\s*(알려|정리)")
_EN = re.compile(r"summar|\btl;?dr\b|key points|main points|\bgist\b|\boverview\b|\bin short\b|\bbriefly\b"
                 r"|what(?:'s| is| was)? (?:the |this |that )?(?:news |story |article|piece|report)\b.*\babout\b"
                 r"|what (?:does|did) (?:the |this )?(?:article|story|report) (?:say|cover)\s*\??$", re.I)
# The words that ask for the summary; what remains names the topic (which article).
_ASKING = re.compile(r"(이|그|저)?\s*기사(의|를|는|에서)?|요약(해\s*줘|해\s*주세요|해|하면|좀)?|핵심(만|을|적인)?|요점(만|을)?"
                     r"|간추려\s*(줘|주세요)?|정리해\s*(줘|주세요)?|알려\s*(줘|주세요)|내용|줄거리|개요|좀|해\s*줘"
                     r"|\b(summari[sz]e|summary|of|the|this|article|story|what|is|was|about|key|main|points|please|"
                     r"give|me|tl;?dr|in|short|brief(ly)?|tell|news)\b", re.I)


def is_summary_request(question: str) -> bool:
    """True for a request to summarize an article or give its key points, in Korean or English."""
    text = clean_question(question)
    return bool(_KO.search(text) or _EN.search(text))


def summary_topic(question: str) -> str:
    """The words that name which article to summarize ("반도체 수출 실적"), or "" when none do."""
    text = _ASKING.sub(" ", clean_question(question))
    return re.sub(r"[\s?.!,'\"]+", " ", text).strip()
