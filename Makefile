# One entry point for people and CI: `make brief`, `make test`, `make lint`, `make bench`.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
# Debian packages the papers and the tests need: fonts for Word-compatible metrics,
# LibreOffice to open .docx files as a real client would (python3-uno to accept or reject a
# redline's changes in it), poppler for PNG previews,
# harfbuzz-subset so WeasyPrint subsets fonts natively (fontTools is slower), Noto Sans CJK for
# Japanese text (the PDF's fallback font and Word's East Asian font), Chromium and its driver for
# the browser tests of `briefgen serve`, Redis for the RQ worker tests.
APT_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-liberation2 fonts-crosextra-carlito \
                fonts-noto-cjk libreoffice-writer-nogui python3-uno poppler-utils chromium chromium-driver redis-server

.PHONY: brief test lint bench golden deps venv clean

brief: venv
	$(BIN)/briefgen build --out out

test: deps venv
	$(BIN)/pytest -n auto --dist loadfile

lint: venv
	$(BIN)/ruff check src tests tools
	$(BIN)/ruff format --check src tests tools
	$(BIN)/mypy

bench: venv
	$(BIN)/python tools/bench.py
	$(BIN)/python tools/bench_serve.py

# Refresh the golden text files in tests/golden/ after reviewing what changed.
golden: venv
	BRIEFGEN_UPDATE_GOLDEN=1 $(BIN)/pytest tests/test_golden.py

# Install missing Debian packages (needs root, as on CI); skip quietly when all are present.
deps:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

venv: $(BIN)/briefgen

$(BIN)/briefgen: pyproject.toml
	command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	$(BIN)/python -m compileall -q src  # bytecode even where PYTHONDONTWRITEBYTECODE is set
	touch $@

clean:
	rm -rf out $(VENV) .pytest_cache .mypy_cache .ruff_cache
