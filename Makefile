# The two commands (see README.md). Everything they need is installed by infra/bootstrap.sh.
.PHONY: dev test lint

## make dev: run the portal locally (AWS emulator, resources from template.yaml, demo data, cargo lambda watch)
dev:
	@infra/dev.sh

## make test: every test, the template lint and the consistency checks, against a private emulator
test:
	@infra/test.sh

## make lint: template lint only (also part of make test)
lint:
	@infra/bootstrap.sh && .venv/bin/cfn-lint template.yaml
