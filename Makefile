# Lifeboat build. `make help` lists the targets.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
export LANG := en_US.UTF-8

GO ?= go
# Where `make run` keeps its data: a fresh folder under .demo/ each run
# unless you name one (make run DEMO_DIR=.demo/mine).
ifndef DEMO_DIR
DEMO_DIR := .demo/run-$(shell date +%Y%m%d-%H%M%S)
endif
FUZZTIME ?= 10s
STAMP := .cache/deps.stamp

.PHONY: all help deps build run test bench lint fuzz clean smoke netns-test dist dist-check mobile-check screenshots sim
all: build

help:
	@echo "make deps   install system packages and Go modules (once)"
	@echo "make build  build bin/lifeboat"
	@echo "make run    deps + build, then open Lifeboat on a demo ward in DEMO_DIR ($(DEMO_DIR))"
	@echo "make test   go vet and go test for every package, -race on store and sync/mesh (and mobile-check)"
	@echo "make mobile-check  the packages below the UI build for Android and iOS"
	@echo "make bench  run the benchmarks and print their figures"
	@echo "make sim    the hospital simulation at full size (40 wards, 209 devices)"
	@echo "make lint   go vet and staticcheck"
	@echo "make fuzz   run every Fuzz target for FUZZTIME ($(FUZZTIME)) each"
	@echo "make screenshots  copy the goldens the docs show (app/testdata) into docs/screenshots"
	@echo "make smoke  drive the real app under Xvfb with xdotool (sign in, record obs)"
	@echo "make netns-test  three devices in network namespaces sync, split and heal (root)"
	@echo "make dist   release packages in dist/: Linux tar.xz, Windows .exe, its console twin lifeboat-cli.exe and the .msi"
	@echo "make dist-check  unpack, launch and drive the Linux package; check the .exe files and one version in all;"
	@echo "            install the .msi under Wine, run demo, verify, export and the app there (Xvfb), uninstall"
	@echo "make clean  remove build output, demo data and caches made here"

deps: $(STAMP)
$(STAMP): scripts/deps.sh go.mod go.sum
	sh scripts/deps.sh
	@mkdir -p $(@D) && touch $@

build: deps
	$(GO) build -o bin/lifeboat ./cmd/lifeboat

run: deps build
	@mkdir -p "$(DEMO_DIR)"
	bin/lifeboat --data "$(DEMO_DIR)" demo --if-missing
	bin/lifeboat --data "$(DEMO_DIR)"

# One build configuration (cgo on, no tags) for vet, test and build, so the
# OpenGL driver's C code is compiled once and shared through the Go build
# cache; vet already ran, so go test skips its own vet pass. Then the race
# detector (needs cgo) on the packages whose goroutines share the most:
# the store (keys Lock takes away while others sign) and the mesh
# (memberlist's delegates). -short there skips only the crash test's 50
# child processes, which the run before already made; every attack test
# runs under the race detector too.
test: deps mobile-check
	$(GO) vet ./...
	$(GO) test -vet=off $(TESTFLAGS) ./...
	CGO_ENABLED=1 $(GO) test -race -short -vet=off $(TESTFLAGS) ./store/ ./sync/mesh/

# The hospital simulation at full size (#18): 40 wards of 5 devices, the
# pharmacy, bed managers and two relays, 209 real stores and mesh nodes in
# one process. make test runs it at 6 wards of 2 (-short: 4 of 2).
sim: deps
	LIFEBOAT_SIM_WARDS=40 LIFEBOAT_SIM_PER_WARD=5 CGO_ENABLED=0 $(GO) test -run TestHospital -v -timeout 60m ./sync/mesh/

# Everything below the UI (store, sync, forms, the commands) must build for
# phones; the Fyne mobile driver itself needs the Android NDK or Xcode,
# which are not here (docs/mobile.md).
mobile-check:
	GOOS=android GOARCH=arm64 CGO_ENABLED=0 $(GO) build . ./forms/... ./store/... ./sync/... ./cmd/lifeboat/cli/
	GOOS=ios GOARCH=arm64 CGO_ENABLED=0 $(GO) build . ./forms/... ./store/... ./sync/... ./cmd/lifeboat/cli/

dist: deps
	sh scripts/deps.sh dist
	sh scripts/dist.sh

dist-check: dist
	sh scripts/dist-check.sh

# The docs show screens by their golden's name; refresh the goldens first
# (CGO_ENABLED=0 go test -tags ci ./app/ -update), look at them, then copy
# every one the README and docs/ show or docs/screenshots holds;
# TestScreenshots_AreTheGoldens fails until this is done.
screenshots:
	@{ grep -ohE '\(((docs/)?screenshots/)[a-z0-9_]+\.png\)' README.md docs/*.md | grep -oE '[a-z0-9_]+\.png'; \
	   ls docs/screenshots; } | sort -u | \
	while read -r f; do if [ -f "app/testdata/$$f" ]; then cp "app/testdata/$$f" "docs/screenshots/$$f"; fi; done

smoke: deps build
	bash scripts/smoke.sh bin/lifeboat

# The commands only, with no cgo and no display (Fyne's ci driver), so it
# needs no system packages; skips unless run as root with ip netns.
netns-test:
	CGO_ENABLED=0 $(GO) build -tags ci -o bin/lifeboat-cli ./cmd/lifeboat
	bash scripts/netns-test.sh bin/lifeboat-cli

bench: deps
	sh scripts/bench.sh

lint: deps
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...

fuzz: deps
	FUZZTIME=$(FUZZTIME) sh scripts/fuzz.sh

clean:
	rm -rf bin dist .demo .cache
	find . -path '*/testdata/failed' -type d -prune -exec rm -rf {} +
