# capgo.cloud developer entry points; everything runs in venvs under .venvs/ (see README.md).
# Knobs for the test targets: CORE_VERSIONS="2.19", TARGETS=capgo_channel (see scripts/test.sh).

.PHONY: demo test sanity units integration emulator-test docs clean

demo:
	scripts/demo.sh

test:
	scripts/test.sh

sanity:
	STAGES="checks sanity" scripts/test.sh

units:
	STAGES=units scripts/test.sh

integration:
	STAGES=integration scripts/test.sh

emulator-test:
	STAGES=emulator scripts/test.sh

# The documentation site, offline, into docs/build/html (see scripts/docs.sh).
docs:
	scripts/docs.sh

clean:
	rm -rf .venvs tests/output docs/build tests/integration/integration_config.yml .tmp scripts/.cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
