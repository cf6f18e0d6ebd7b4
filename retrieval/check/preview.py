"""The streamed preview: a sentence is shown only once it has passed the check, never before.

The model's reply arrives in pieces; each sentence is judged as soon as the next one begins (its markers
have arrived by then), with the same rules and citation numbers as the final check. A sentence the rules
accept is shown; one they reject is skipped (the final answer will not have it either); one left to the
grey zone stops the preview, because only the final check (with its one judge call) may show it, and
showing later sentences first would reorder the answer. So no unchecked claim, and no text copied from
our prompt, is ever on screen, even for a moment.
"""

from __future__ import annotations

from .text import sentences
from .verify import Assembly, Checker


class CheckedPreview:
    """Feed the reply's pieces; get back the text that may be added to the preview ('' for none)."""

    def __init__(self, checker: Checker) -> None:
        self.checker = checker
        self.assembly = Assembly(checker)
        self.reply = ""
        self.done = 0  # sentences of the reply judged so far
        self.shown = ""
        self.stopped = False

    def feed(self, delta: str) -> str:
        self.reply += delta
        return self._advance(final=False)

    def finish(self) -> str:
        """The reply is complete: its last sentence may be judged too."""
        return self._advance(final=True)

    def _advance(self, final: bool) -> str:
        if self.stopped:
            return ""
        pieces = sentences(self.reply)
        pos = sum(len(p) for p in pieces[: self.done])
        while self.done < len(pieces):
            piece = pieces[self.done]
            rest = self.reply[pos + len(piece):].lstrip()
            if not final and (not rest or rest.startswith("[")):  # it or its markers may still be arriving
                break
            plan = self.checker.plan(piece)
            if plan.kind == "claims" and plan.greys() and not plan.holds(set()):
                self.stopped = True  # the grey zone is settled by the final check only
                break
            self.assembly.add(plan, set())
            self.done += 1
            pos += len(piece)
        text = self.assembly.text()
        if not text.startswith(self.shown):
            self.stopped = True  # cannot happen with append-only sentences; never show a rewrite
            return ""
        new, self.shown = text[len(self.shown):], text
        return new
