# Thin aliases for the Invoke tasks the runbooks use; the logic lives in tasks.py/ops.
EXTRAS ?= dev
.PHONY: sync qa test refine lint

sync:
	invoke deps.sync --extras "$(EXTRAS)"

qa:
	invoke qa

test:
	invoke test

lint:
	invoke lint

refine:
	invoke refine
