# capgo.cloud developer entry points; everything runs in venvs under .venvs/ (see README.md).
#   make test                                  the whole pipeline (nox sessions, noxfile.py)
#   make test STAGES="units-2.21 integration"  sessions by name, tag or glob (docs/DEVELOPING.md)
#   make test TARGETS=capgo_channel            integration on these targets only

PYTHON ?= python3.11
PIPELINE = PYTHONPATH=tests $(PYTHON) -m pipeline

.PHONY: demo test sanity units integration emulator-test docs clean

demo:
	$(PIPELINE) demo

test:
	$(PIPELINE) test $(STAGES)

sanity:
	$(PIPELINE) test checks sanity

units:
	$(PIPELINE) test units

integration:
	$(PIPELINE) test integration

emulator-test:
	$(PIPELINE) test emulator

# The documentation site, offline, into docs/build/html (tests/pipeline/docs.py).
docs:
	$(PIPELINE) docs

clean:
	rm -rf .venvs tests/output docs/build tests/integration/integration_config.yml .tmp scripts/.cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
