"""Korean names as English spells them, and the Korean support they are looked for in.

A transliterated name ("Yangjae-dong", "Las Vegas", "COEX") aligns with the Korean it sounds like: both
sides are reduced to consonant skeletons (Hangul by its jamo, English by a few spelling rules), and the
Korean span must start and end where its word does (a particle may follow), so "Seoul" does not align
with the 서울 of 서울시장. Written by hand because romanizers go from Hangul to one standard spelling,
while news English spells names every which way (Oh Se-hoon, Jang Jae-min, Caesars); consonants are
what survive both ways.
"""

from __future__ import annotations

import re
from functools import lru_cache

from ..korean import squash

_PARTICLES = {"", "은", "는", "이", "가", "을", "를", "의", "에", "에서", "에선", "에는", "에서는", "으로", "로", "와",
              "과", "도", "만", "까지", "부터", "에게", "께서", "인", "이다", "이라는", "이라고", "라는", "처럼", "엔"}
_NOT_PLACE = {"은", "는", "이", "가", "을", "를", "의", "와", "과", "도", "만", "이라는", "라는"}
_INITIAL = ["k", "k", "n", "t", "t", "l", "m", "p", "p", "s", "s", "", "j", "j", "j", "k", "t", "p", ""]
_FINAL = ["", "k", "k", "ks", "n", "nj", "n", "t", "l", "lk", "lm", "lp", "ls", "lt", "lp", "l", "m", "p", "ps",
          "s", "s", "n", "t", "t", "k", "t", "p", ""]
_EN_LETTER = dict(zip("gkcqbpfvdtjzslrmn", "kkkkppppttjjsllmn"))
_EN_CLUSTERS = (("tch", "j"), ("ph", "p"), ("ck", "k"), ("ng", "n"), ("x", "ks"), ("qu", "k"), ("th", "t"),
                ("sh", "s"), ("ch", "j"))


def _collapse(chars: str) -> str:
    return re.sub(r"(.)\1+", r"\1", chars)


def _syllable(c: str) -> str:
    code = ord(c) - 0xAC00
    return _INITIAL[code // 588] + _FINAL[code % 28]


def hangul_skeleton(text: str) -> str:
    """The consonants of the Hangul in `text` ("서울관" → slk)."""
    return _collapse("".join(_syllable(c) for c in text if "가" <= c <= "힣"))


@lru_cache(maxsize=4096)
def skeleton(name: str) -> str:
    """The consonants of a romanized Korean name as Hangul would write them ("Yangjae-dong" → njtn)."""
    return _collapse("".join(_word_skeleton(w) for w in re.findall(r"[a-z]+", name.lower())))


def _word_skeleton(w: str) -> str:
    w = re.sub(r"ch(?![aeiouy])", "k", w)  # "tech" (테크), but "Chairman" (체어맨)
    for a, b in _EN_CLUSTERS:
        w = w.replace(a, b)
    w = re.sub(r"c(?=[eiy])", "s", w)
    w = re.sub(r"r(?![aeiouy])", "", w)  # Korean loanwords drop a final or pre-consonant r (Caesars → 시저스)
    return "".join(_EN_LETTER.get(ch, "") for ch in w)



class KoreanText:
    """Korean support text prepared once (the same passage sentences come back clause after clause)."""

    def __init__(self, text: str, terms: frozenset[str]) -> None:
        self.text, self.terms, self.sq = text, terms, squash(text)
        self.latin = {w.lower() for w in re.findall(r"[A-Za-z]+", text)}
        self.syl = [(i, c, _syllable(c)) for i, c in enumerate(text) if "가" <= c <= "힣"]
        # a syllable continues the previous one's name when only spaces or punctuation stand between them
        self.joined = [n > 0 and not any(ch.isalnum() for ch in text[self.syl[n - 1][0] + 1 : i])
                       for n, (i, _, _) in enumerate(self.syl)]
        # where a name can start (a word's first syllable), by its first consonant ('' for 아, 오 ...)
        self.starts: dict[str, list[int]] = {}
        for n, (i, _, sk) in enumerate(self.syl):
            if not (i and "가" <= text[i - 1] <= "힣"):
                self.starts.setdefault(sk[:1], []).append(n)

    def korean(self, options: frozenset[str]) -> frozenset[str]:
        return frozenset(k for k in options if k in self.terms or len(k) >= 2 and k in self.sq)

    def sounds(self, target: str, follow: frozenset[str] = frozenset(), place: bool = False) -> str:
        """The Korean span that sounds like `target` (a skeleton), starting and ending at word edges; for a
        place ("in Seoul") not one marked as something else (서울의, 서울을)."""
        if len(target) < 2:
            return ""
        text, syl = self.text, self.syl
        for n in sorted(self.starts.get(target[0], []) + self.starts.get("", [])):
            i = syl[n][0]
            acc = ""
            for j in range(n, len(syl)):
                pos, c, sk = syl[j]
                if j > n and not self.joined[j]:
                    break
                for ch in sk:  # consonants doubled across syllables count once (팰리스: p-l-s)
                    if not acc or acc[-1] != ch:
                        acc += ch
                if not target.startswith(acc):
                    break
                if acc == target and not (j > n and c in "의이에와"):  # 서울의: the particle is not the name
                    rest = re.match(r"[가-힣]*", text[pos + 1 :]).group(0)
                    if rest in _PARTICLES and not (place and rest in _NOT_PLACE):
                        return squash(text[i : pos + 1] + rest)
                    if head := next((k for k in follow if rest.startswith(k)), ""):  # "Seoul pavilion": 서울관
                        return squash(text[i : pos + 1] + head)
        return ""


@lru_cache(maxsize=4096)
def korean_text(text: str, terms: frozenset[str]) -> KoreanText:
    # Passage sentences, like `support.passage_index`: analysed once per process, not once per answer.
    return KoreanText(text, terms)


korean_text.passage_side = True  # type: ignore[attr-defined]  # bench/verify_probe.py keeps it warm

