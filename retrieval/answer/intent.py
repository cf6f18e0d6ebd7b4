"""Is this a request for a summary? Shared by the offline answerer and the LLM chain.

A summary request ("이 기사 요약해줘", "핵심이 뭐야?", "what is the article about?", "TL;DR") wants 3-5 central
sentences of one article, not the one sentence that answers a fact question.
"""

from __future__ import annotations

import re

from .evidence import clean_question

# A noun made of these ("요약본", "요약보고서", "줄거리와", "골자로 한") is the topic of a fact question.
_KO = re.compile(r"요약(?!본|문|보고서|서)|요점|간추려|줄거리(?![와과가])|개요|골자(?!로)|핵심(만|\s*내용|\s*정리|을\s*(알려|정리|짚)|(이|은)\s*(뭐|무엇))"
                 r"|(기사|뉴스).*((무슨|어떤|뭔)\s*내용|(무엇|뭐)에\s*(대한|관한)|정리해|브리핑\s*(해|좀))"
                 r"|(무슨|어떤|뭔)\s*(기사|뉴스)|주요\s*내용(을|만)?\s*(알려|정리)"
                 r"|(^|기사|뉴스)\s*(의\s*)?(주요|전체|대략적인|대강의?)?\s*내용(은|을|만|좀|이)?\s*(좀\s*)?"
                 r"(\?|$|알려|정리|간단히|뭐|설명)"
                 r"|([한두세]|\d)\s*줄\s*(로|로만)?\s*(정리|요약|설명|말해)|한마디로\s*(뭐|정리|요약|말하면|하면)")
# "main point" alone is a summary request; "the main point of his speech" is a fact question.
_EN = re.compile(r"summar|\bsum (it|this|that|(the|this) (article|story|news|report)) up\b|\bsum up\b|\brundown\b"
                 r"|\btl;?dr\b"
                 r"|\b(key|main) (points?|ideas?|takeaways?)\b(?!\s+of\b(?!\s+(the|this)\s+(article|story|news)))"
                 r"|\btakeaways?\b|(what are|give me|tell me) (the )?highlights|^\W*highlights\b"
                 r"|\bgist\b|\boverview\b|\bin short\b|\bbriefly\b|\brecap\b"
                 r"|what(?:'s| is| was)? (?:the |this |that )?(?:news |story |article|piece|report)\b.*\babout\b"
                 r"|^\W*what(?:'s| is)\s+(?:this|it)\s+(?:all\s+)?about\W*$"
                 r"|what (?:does|did) (?:the |this )?(?:article|story|report) (?:say|cover)\s*\??$", re.I)
# The words that ask for the summary; what remains names the topic (which article).
_ASKING = re.compile(r"(이|그|저)?\s*(기사|뉴스)(의|를|는|에서|야|이야)?|요약(해\s*줘|해\s*주세요|해|하면|좀)?"
                     r"|핵심(만|을|적인|이|은)?|요점(만|을)?"
                     r"|간추려\s*(줘|주세요)?|정리해\s*(줘|주세요)?|정리|알려\s*(줘|주세요)|브리핑(해\s*줘|해)?"
                     r"|(주요|전체|대략적인|대강의?)?\s*내용(은|을|만|이야)?|줄거리|개요|좀|해\s*줘|간단히"
                     r"|([한두세]|\d)\s*줄\s*(로|로만)?|한마디로|(무슨|어떤|뭔)|뭐야|무엇|뭐"
                     r"|\b(summari[sz]e|summary|sum|up|it|rundown|quick|recap|highlights|takeaways?|ideas?|of|the|this|"
                     r"article|story|what|what's|s|is|was|are|about|key|main|points?|please|give|me|can|you|a|an|"
                     r"tl;?dr|in|short|brief(ly)?|tell|news|all)\b", re.I)


def is_summary_request(question: str) -> bool:
    """True for a request to summarize an article or give its key points, in Korean or English."""
    text = clean_question(question)
    return bool(_KO.search(text) or _EN.search(text))


def summary_topic(question: str) -> str:
    """The words that name which article to summarize ("반도체 수출 실적"), or "" when none do."""
    text = _ASKING.sub(" ", clean_question(question))
    return re.sub(r"[\s?.!,'\"]+", " ", text).strip()
