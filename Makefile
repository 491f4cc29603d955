# Two entry points for a fresh machine with only python3: `make demo` and `make test`.
# Both create (or refresh, when pyproject.toml changes) the virtual environment in .venv.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
DEMO   ?= demo

.PHONY: venv demo test lint bench bench-ratings clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	rm -rf $(DEMO)
	$(BIN)/arenavotes init $(DEMO)
	$(BIN)/arenavotes ingest -w $(DEMO) --source lmarena-140k data/lmarena-140k/battles.parquet
	$(BIN)/arenavotes ingest -w $(DEMO) --source genai-arena data/genai-arena-20240220/clean_battle_20240220.json.gz
	$(BIN)/arenavotes ingest -w $(DEMO) --source arena-conv-100 data/arena-conversations-100/conversations.jsonl.gz
	$(BIN)/arenavotes ingest -w $(DEMO) --source arena-2023 data/arena-battles-2023-text/battles_with_prompts.jsonl.gz
	$(BIN)/arenavotes ingest -w $(DEMO) --source arena-33k data/chatbot-arena-33k-votes/human.jsonl.gz
	$(BIN)/arenavotes ingest -w $(DEMO) --source llmfao data/llmfao/crowd-comparisons.csv.gz
	$(BIN)/arenavotes status -w $(DEMO)
	$(BIN)/arenavotes scrub -w $(DEMO)
	$(BIN)/arenavotes sql -w $(DEMO) "select entity, sum(count) as spans from pii_findings group by 1 order by 2 desc"
	$(BIN)/arenavotes dedup -w $(DEMO)
	$(BIN)/arenavotes categorize -w $(DEMO)
	$(BIN)/arenavotes rate -w $(DEMO) --source lmarena-140k
	$(BIN)/arenavotes leaderboard -w $(DEMO) --name lmarena-140k --limit 15
	$(BIN)/arenavotes leaderboard -w $(DEMO) --name lmarena-140k --category hard_prompt --limit 10
	$(BIN)/arenavotes rate -w $(DEMO) --source arena-2023 --ci cluster --cluster-by judge --rounds 200
	$(BIN)/arenavotes leaderboard -w $(DEMO) --name arena-2023 --limit 8
	$(BIN)/arenavotes leaderboard -w $(DEMO) --name arena-2023 --category coding --limit 8
	$(BIN)/arenavotes report -w $(DEMO) 2023-06 --compare 2023-05 --source arena-2023
	$(BIN)/arenavotes report -w $(DEMO) --source lmarena-140k
	$(BIN)/arenavotes release -w $(DEMO) v1 --report all
	$(BIN)/arenavotes sql -w $(DEMO) --release v1 --recipe flag_summary
	$(BIN)/arenavotes publish -w $(DEMO) v1 --to $(DEMO)/hub

lint: $(STAMP)
	$(BIN)/ruff check src tests bench analysis
	$(BIN)/mypy src

test: lint
	$(BIN)/python -m pytest
	$(BIN)/python -m pytest -p no:cacheprovider -o addopts="" --nbmake --nbmake-timeout=900 analysis

bench: $(STAMP)
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/adversarial.py
	$(BIN)/python bench/categories.py
	$(BIN)/python bench/pii.py

# peers with pinned, conflicting dependencies (arena-rank pins numpy and JAX) live in their own venv
.venv-bench/.installed-stamp: pyproject.toml
	$(PYTHON) -m venv .venv-bench
	.venv-bench/bin/python -m pip install --quiet --upgrade pip
	.venv-bench/bin/python -m pip install --quiet -e . arena-rank==0.1.1 evalica==0.4.2 choix pandas
	touch $@

bench-ratings: .venv-bench/.installed-stamp
	.venv-bench/bin/python bench/ratings.py

clean:
	rm -rf $(VENV) .venv-bench $(DEMO) .pytest_cache .mypy_cache .ruff_cache
