# Two commands matter: `make run` serves the product, `make test` runs the whole suite.
# Both set everything up from nothing: uv, the environment from uv.lock, translations.

SHELL := /bin/bash
PORT ?= 5000
export FLASK_APP := wsgi
UV := $(shell command -v uv 2>/dev/null || echo python3 -m uv)
RUN := $(UV) run --frozen --no-sync

.PHONY: run test worker waiting-rooms registry travel-ban lint bench setup translations extract-messages demo-code

setup: .venv/.synced webapp/translations/id/LC_MESSAGES/messages.mo

.venv/.synced: pyproject.toml uv.lock
	@$(UV) --version >/dev/null 2>&1 || python3 -m pip install --quiet uv \
		|| python3 -m pip install --quiet --user --break-system-packages uv
	$(UV) sync --frozen
	@touch $@

webapp/translations/id/LC_MESSAGES/messages.mo: webapp/translations/id/LC_MESSAGES/messages.po .venv/.synced
	$(RUN) pybabel compile --use-fuzzy -d webapp/translations

translations: setup

# Demo mode: the stand-ins (payment page, registry, mail to files, generated secrets) and demo data.
run: export DEMO_MODE := 1
# Links in mail follow the port served, unless BASE_URL is set.
run: export BASE_URL ?= http://127.0.0.1:$(PORT)
run: setup
	$(RUN) flask db upgrade
	$(RUN) flask seed-demo
	FLASK_DEBUG=1 $(RUN) flask run --host 127.0.0.1 --port $(PORT)

# The current second-factor code of a demo staff account: make demo-code EMAIL=petugas.latihan@...
demo-code: export DEMO_MODE := 1
demo-code: setup
	@$(RUN) flask demo-totp $(EMAIL)

test: setup
	$(RUN) pytest

# The RQ worker pool: a worker per core for the checks and other jobs (WORKERS=N sets it), one for mail.
worker: setup
	$(RUN) flask worker $(if $(WORKERS),--workers $(WORKERS))

# The waiting rooms' clock beside the workers (with Redis; without it the server runs it).
waiting-rooms: setup
	$(RUN) flask waiting-rooms

# The stand-in population registry on its own port (REGISTRY_URL=http://127.0.0.1:5001).
registry: setup
	$(RUN) python -m webapp.integrations.registry_standin --port 5001

# The stand-in travel-ban list on its own port (TRAVEL_BAN_URL=http://127.0.0.1:5002).
travel-ban: setup
	$(RUN) python -m webapp.integrations.travel_ban_standin --port 5002

lint: setup
	$(RUN) ruff check .
	$(RUN) ruff format --check .

bench: setup
	@for script in $(filter-out bench/harness.py,$(wildcard bench/*.py)); do \
		echo "== $$script"; $(RUN) python $$script || exit 1; done

# Refresh the message catalogue after changing user-facing text.
extract-messages: setup
	$(RUN) pybabel extract -F babel.cfg -k _l -o webapp/translations/messages.pot .
	$(RUN) pybabel update -i webapp/translations/messages.pot -d webapp/translations --no-fuzzy-matching --ignore-obsolete
