# Two commands: `make run` installs everything and starts the server;
# `make test` installs everything and runs every test.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DATA   ?= data
PORT   ?= 8080
# Debian packages: ffmpeg encodes/decodes audio, portaudio builds PyAudio, espeak-ng and
# sox make test speech, icecast2 is the large fan-out server, chromium drives the page
# tests, poppler-utils and libreoffice turn documents into PDF and pictures.
APT_PACKAGES := ffmpeg portaudio19-dev espeak-ng sox icecast2 chromium fonts-dejavu-core \
                poppler-utils libreoffice-writer-nogui fonts-liberation2 hostname nginx pulseaudio pulseaudio-utils libasound2-plugins

.PHONY: run test system-deps deps lint bench clean province

run: deps
	$(BIN)/doithoai serve --data-dir $(DATA) --port $(PORT)

test: deps
	$(BIN)/ruff check .
	$(BIN)/pytest -q

system-deps:
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -q && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q --no-install-recommends $$missing; \
	fi

$(STAMP): pyproject.toml | system-deps
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -U pip
	$(BIN)/pip install -q -e '.[test,whisper]'
	touch $(STAMP)

deps: system-deps $(STAMP)

# A province on this machine: nginx in front of 2 server processes on PostgreSQL
# (database doithoai_province, made if missing) and Redis; see docs/province.md.
province: deps
	$(BIN)/python deploy/province.py --workers 2 --data-dir $(DATA)-province

bench: deps
	@echo "See docs/benchmarks.md for each benchmark's command."

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
