# Two entry points: `make run` (the platform with embedded services and demo data)
# and `make test` (the whole suite). Both build .venv from the pinned requirements.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 5000
PYTEST_ARGS ?= -n auto
export FLASK_APP := wsgi.py

.PHONY: run test venv translations extract-messages bench clean

$(BIN)/.installed: requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

venv: $(BIN)/.installed

translations: venv
	$(BIN)/pybabel compile --use-fuzzy -d translations

# `db upgrade` and `demo seed-if-empty` start no embedded service; `flask run` starts them and
# records them in instance/embedded.json, so `.venv/bin/flask search check` (or `reindex`) in a
# second shell works on this instance's engine. Ctrl-C stops the children and removes the record.
run: venv translations
	$(BIN)/flask db upgrade
	$(BIN)/flask demo seed-if-empty
	$(BIN)/flask run --host 127.0.0.1 --port $(PORT) --no-reload --with-threads

test: venv translations
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Re-extract every translatable string, merge the per-package translations/zh_Hans/*.json into
# the catalogue and compile it (serialised with flock: several people may run it at once).
extract-messages: venv
	flock translations/.lock sh -c '\
	  sh translations/extract.sh && \
	  $(BIN)/pybabel -q update -i translations/messages.pot -d translations -l zh_Hans --no-fuzzy-matching && \
	  $(BIN)/python translations/fill.py translations/zh_Hans/*.json && \
	  $(BIN)/pybabel -q compile --use-fuzzy -d translations' 

bench: venv
	$(BIN)/python bench/bench_import.py
	$(BIN)/python bench/bench_search.py

clean:
	rm -rf $(VENV) instance
