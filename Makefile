# Everything the project needs is installed from this file, pyproject.toml and uv.lock.
UV_VERSION := 0.13.8
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: run test bench bench-load bench-verify bench-answers fit-answerer bench-scale bench-start bench-kiwi-dict eval sync env-example clean

run: $(VENV)/.synced
	@$(VENV)/bin/articlebot run

test: $(VENV)/.synced
	$(VENV)/bin/python -m pytest $(PYTEST_ARGS)

bench: $(VENV)/.synced
	$(VENV)/bin/python bench/korquad.py $(BENCH_ARGS)

bench-load: $(VENV)/.synced
	$(VENV)/bin/python bench/load.py $(LOAD_ARGS)

bench-verify: $(VENV)/.synced
	$(VENV)/bin/python bench/verify_probe.py $(VERIFY_ARGS)

# The previous offline answerer beside this one: KorQuAD (report half), news_dev by kind, seed dev sets.
bench-answers: $(VENV)/.synced
	$(VENV)/bin/python bench/answers.py $(BENCH_ARGS)

# Refit retrieval/answer/model.json from KorQuAD dev (fit half of the titles); needs the shared eval data,
# found beside the checkout or at ARTICLEBOT_SHARED, and says so when it is missing.
fit-answerer: $(VENV)/.synced
	$(VENV)/bin/python bench/fit_answerer.py $(FIT_ARGS)

# Index writes, searches and starts at 1k/10k/100k chunks beside the copy-on-write design (about 40 min on 2 cores).
bench-scale: $(VENV)/.synced
	$(VENV)/bin/python bench/scale.py $(SCALE_ARGS)

# `articlebot articles`, `search` and `ask` as whole processes on the default article, beside a baseline commit.
bench-start: $(VENV)/.synced
	$(VENV)/bin/python bench/start.py $(START_ARGS)

# Kiwi with and without its multi-word dictionary: load time, and retrieval on all KorQuAD dev questions
# (BENCH_ARGS="--vectors DIR" reuses the vectors of an earlier run's data dir; --help lists the rest).
bench-kiwi-dict: $(VENV)/.synced
	$(VENV)/bin/python bench/kiwi_dict.py $(BENCH_ARGS)

# The seed dev sets ship in eval/ (format: eval/README.md); EVAL="a.jsonl b.jsonl" scores other files.
EVAL ?= eval/seed_article_dev.jsonl eval/seed_followups_dev.jsonl
eval: $(VENV)/.synced
	$(VENV)/bin/articlebot eval $(EVAL)

sync: $(VENV)/.synced

# uv is pinned and kept in its own small venv so a new machine needs only python3.
$(UV):
	@python3 -m venv $(TOOLS) >&2
	@$(TOOLS)/bin/pip install -q uv==$(UV_VERSION) >&2

# The Dockerfile runs `make sync SYNC_ARGS=--no-dev`: the image is built by the same command as CI's venv.
# Bytecode is compiled here, as the image does (UV_COMPILE_BYTECODE): without it a shell that sets
# PYTHONDONTWRITEBYTECODE compiles chromadb, numpy, pydantic... from source at every command (about 1 s).
$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	@$(UV) sync --locked --quiet --compile-bytecode $(SYNC_ARGS) >&2
	@$(VENV)/bin/python -m compileall -q articlebot bot retrieval >&2
	@touch $@

# .env.example lists every setting; it is generated from articlebot/settings.py (a test checks it).
env-example: $(VENV)/.synced
	$(VENV)/bin/python -m articlebot.envexample

clean:
	rm -rf $(VENV) $(TOOLS) var
