# The two commands (see README.md). Everything they need is installed by infra/bootstrap.sh.
.PHONY: dev test lint bench

## make dev: run the portal locally (AWS emulator, resources from template.yaml, demo data, cargo lambda watch)
dev:
	@infra/dev.sh

## make test: every test, the template lint and the consistency checks, against a private emulator
test:
	@infra/test.sh

## make lint: template lint only (also part of make test)
lint:
	@infra/bootstrap.sh && .venv/bin/cfn-lint template.yaml

## make bench: the performance budgets as ratios against baselines measured in the same run (README "Benchmarks"; not part of make test)
bench:
	@infra/bench.sh
