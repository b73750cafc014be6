# Paydesk — run "make help" for the targets.

GO ?= go
.DEFAULT_GOAL := help

.PHONY: help run test generate check-generated lint bench load load-1m load-postgres soak build

help: ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  %-16s %s\n", $$1, $$2}'

run: ## Run Paydesk with the embedded Antom simulator on http://localhost:8080 (data in ./data)
	$(GO) run ./cmd/paydesk serve

test: ## Install chromium and postgresql if missing, check generated code, run every test with -race (SQLite, then the store suite on a throw-away PostgreSQL)
	./.ci/install-chromium
	./.ci/check-generated
	./.ci/with-postgres sh -c '$(GO) test -race -count=1 ./... && PAYDESK_TEST_BACKEND=postgres $(GO) test -race -count=1 ./store/...'

generate: ## Regenerate the templ views (*_templ.go, committed)
	$(GO) tool templ generate

check-generated: ## Fail when a *_templ.go is stale
	./.ci/check-generated

lint: ## gofmt, go vet and the generated-code check
	@out="$$(gofmt -l .)"; \
		if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	./.ci/check-generated

bench: ## Run the benchmarks
	$(GO) test -run '^$$' -bench . -benchmem ./...

load: ## Load-test an in-process Paydesk against the design targets (~40 s; go run ./cmd/paydeskload -h for more)
	$(GO) run ./cmd/paydeskload -payments 10000 -duration 5s -baseline 1s -searches 1000 -polls 1000

load-1m: ## The same at 1,000,000 payments (~8 min: seeding takes 3-5)
	$(GO) run ./cmd/paydeskload -payments 1000000 -open 5000 -part-searches 300

REPLICAS ?= 1
load-postgres: ## make load on a throw-away PostgreSQL on this machine; REPLICAS=3 runs three servers on the one database
	./.ci/with-postgres sh -c '$(GO) run ./cmd/paydeskload -payments 10000 -duration 5s -baseline 1s -searches 1000 -polls 1000 -database-url "$$PAYDESK_TEST_DATABASE_URL" -replicas $(REPLICAS)'

soak: ## Run 1,000 seeded fault scenarios against the simulator and print how many converged (~3 min)
	PAYDESK_SCENARIOS=$${PAYDESK_SCENARIOS:-1000} $(GO) test -v -count=1 -parallel 8 -timeout 120m -run '^TestScenarios$$' ./web/ 2>&1 | \
		grep -E '^(ok|FAIL)|scenarios: [0-9]+ of|scenario [0-9]+: |rerun:'

build: ## Build ./paydesk and ./antomsim
	$(GO) build -o paydesk ./cmd/paydesk
	$(GO) build -o antomsim ./cmd/antomsim
