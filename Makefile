# Two entry points for a fresh machine with only python3: `make demo` and `make test`.
# Both create (or refresh, when pyproject.toml or constraints.txt change) the virtual environment in .venv,
# with the exact versions of constraints.txt (the lock CI passed with). `make test-latest` tests against the
# newest releases of every dependency in .venv-latest; `make lock` rewrites constraints.txt from .venv.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
DEMO   ?= demo
# pytest-xdist workers of `make test` (each test module runs whole in one worker: its fixtures are built once)
TEST_WORKERS ?= 2

PIP_VERSION := 26.3

.PHONY: venv demo test fuzz lint bench bench-ratings clean test-latest lock shell

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet pip==$(PIP_VERSION)
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	rm -rf $(DEMO) $(DEMO)-hub
	$(BIN)/arenavotes init $(DEMO)
	$(BIN)/arenavotes ingest -w $(DEMO) --source lmarena-140k data/lmarena-140k/battles.parquet \
		--license cc-by-4.0 --license-url https://creativecommons.org/licenses/by/4.0/ --description 'LMArena text-arena votes (arena-human-preference-140k), metadata only'
	$(BIN)/arenavotes ingest -w $(DEMO) --source genai-arena data/genai-arena-20240220/clean_battle_20240220.json.gz \
		--license 'apache-2.0 / mit (upstream repository)' --description 'GenAI-Arena votes between image generation and image editing models'
	$(BIN)/arenavotes ingest -w $(DEMO) --source arena-conv-100 data/arena-conversations-100/conversations.jsonl.gz \
		--license apache-2.0 --description 'Chatbot Arena text conversations with both answers, 15 languages'
	$(BIN)/arenavotes ingest -w $(DEMO) --source arena-2023 data/arena-battles-2023-text/battles_with_prompts.jsonl.gz \
		--license apache-2.0 --description 'Chatbot Arena text battles with prompts, 2023'
	$(BIN)/arenavotes ingest -w $(DEMO) --source arena-33k data/chatbot-arena-33k-votes/human.jsonl.gz \
		--license mit --description 'Chatbot Arena text-arena votes, April-June 2023'
	$(BIN)/arenavotes ingest -w $(DEMO) --source llmfao data/llmfao/crowd-comparisons.csv.gz \
		--license cc-by-4.0 --license-url https://creativecommons.org/licenses/by/4.0/ --description 'LLMFAO crowd comparisons of LLM answers'
	$(BIN)/arenavotes status -w $(DEMO)
	$(BIN)/arenavotes scrub -w $(DEMO)
	$(BIN)/arenavotes sql -w $(DEMO) "select entity, sum(count) as spans from pii_findings group by 1 order by 2 desc"
	$(BIN)/arenavotes dedup -w $(DEMO)
	$(BIN)/arenavotes categorize -w $(DEMO)
	$(BIN)/arenavotes rate -w $(DEMO) --source lmarena-140k
	$(BIN)/arenavotes leaderboard -w $(DEMO) --scope lmarena-140k --limit 15
	$(BIN)/arenavotes leaderboard -w $(DEMO) --scope lmarena-140k --category hard_prompt --limit 10
	$(BIN)/arenavotes rate -w $(DEMO) --source arena-2023 --ci cluster --cluster-by voter --rounds 200
	$(BIN)/arenavotes leaderboard -w $(DEMO) --scope arena-2023 --limit 8
	$(BIN)/arenavotes leaderboard -w $(DEMO) --scope arena-2023 --category coding --limit 8
	$(BIN)/arenavotes rate -w $(DEMO) --source genai-arena --arena text-to-image --ci bootstrap --rounds 200
	$(BIN)/arenavotes leaderboard -w $(DEMO) --scope 'genai-arena[text-to-image]'
	$(BIN)/arenavotes report -w $(DEMO) --source genai-arena --arena text-to-image
	$(BIN)/arenavotes formats --explain tests/data/outside/prd/experts_pairwise_human_preferences.jsonl --rows 3 \
		--map model_a=answer_a_type --map model_b=answer_b_type --map prompt=question --map response_a=answer_a \
		--map response_b=answer_b --map winner=overall_preference --winner-map -1=model_a,1=model_b
	$(BIN)/arenavotes p2l -w $(DEMO) --source arena-2023 --limit 8 "Write a Python function that merges two sorted lists"
	$(BIN)/arenavotes p2l -w $(DEMO) --source arena-2023 --prompts docs/examples/p2l_prompts.jsonl --compare vicuna-13b gpt-4
	$(BIN)/arenavotes p2l -w $(DEMO) --source arena-2023 --prompts docs/examples/p2l_prompts.jsonl --route
	$(BIN)/arenavotes p2l -w $(DEMO) --source arena-2023 --evaluate
	$(BIN)/arenavotes report -w $(DEMO) 2023-06 --compare 2023-05 --source arena-2023
	$(BIN)/arenavotes report -w $(DEMO) --source lmarena-140k
	$(BIN)/arenavotes report -w $(DEMO) --source llmfao --out $(DEMO)/reports/llmfao
	sed -n '/^## Campaign-robust board/,/^| model/p' $(DEMO)/reports/llmfao/report.md
	$(BIN)/arenavotes release -w $(DEMO) v1 --report all --date 2026-11-30
	$(BIN)/arenavotes sql -w $(DEMO) --release v1 --recipe flag_summary
	$(BIN)/arenavotes publish -w $(DEMO) v1 --to $(DEMO)-hub
	$(BIN)/arenavotes status -w $(DEMO)

lint: $(STAMP)
	$(BIN)/ruff check src tests bench analysis tools
	$(BIN)/ruff format --check src tests bench analysis tools
	$(BIN)/mypy src

test: lint
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile --durations=15 -rs
	$(BIN)/python -m pytest -p no:cacheprovider -o addopts="" -n $(TEST_WORKERS) --nbmake --nbmake-timeout=900 analysis

# hypothesis with new random examples every run (`make test` draws the same ones each time): the property tests
# only
fuzz: $(STAMP)
	ARENAVOTES_HYPOTHESIS=fuzz $(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile -p no:cacheprovider \
		$$(grep -l "@given" tests/*.py)

bench: $(STAMP)
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/adversarial.py
	$(BIN)/python bench/llmfao_workers.py
	$(BIN)/python bench/near_duplicates.py
	$(BIN)/python bench/categories.py
	$(BIN)/python bench/pii.py
	$(BIN)/python bench/release.py
	$(BIN)/python bench/p2l.py

# peers with pinned, conflicting dependencies (arena-rank pins numpy and JAX) live in their own venv
.venv-bench/.installed-stamp: pyproject.toml
	$(PYTHON) -m venv .venv-bench
	.venv-bench/bin/python -m pip install --quiet --upgrade pip
	.venv-bench/bin/python -m pip install --quiet -e . arena-rank==0.1.1 evalica==0.4.2 choix pandas
	touch $@

bench-ratings: .venv-bench/.installed-stamp
	.venv-bench/bin/python bench/ratings.py

# the newest release of every dependency (no constraints): what a user's `pip install arenavotes` may get
test-latest:
	$(PYTHON) -m venv .venv-latest
	.venv-latest/bin/python -m pip install --quiet --upgrade pip
	.venv-latest/bin/python -m pip install --quiet --upgrade --upgrade-strategy eager -e '.[dev]'
	.venv-latest/bin/python -m pytest -p no:cacheprovider -n $(TEST_WORKERS) --dist loadfile

lock: $(STAMP)
	{ echo "# Exact versions a clean CI run passed with (Python 3.11, x86_64). 'make' installs with these;"; \
	  echo "# 'make test-latest' tests against the newest releases instead. Refresh: make lock"; \
	  $(BIN)/python -m pip freeze --exclude-editable | grep -v '^arenavotes'; } > constraints.txt

# a shell with the `arenavotes` command on PATH
shell: $(STAMP)
	@echo "entering a shell with .venv activated; 'exit' leaves it" && . $(BIN)/activate && exec $${SHELL:-bash} -i

clean:
	rm -rf $(VENV) .venv-bench .venv-latest $(DEMO) $(DEMO)-hub .pytest_cache .mypy_cache .ruff_cache
