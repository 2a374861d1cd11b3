# k0flow. `make demo` runs the quickstart end to end; `make test` is what CI runs.
GO       ?= go
TOOLS    := $(CURDIR)/.tools
K0FLOW   := $(CURDIR)/bin/k0flow
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS  := -X main.buildVersion=$(VERSION)

export PATH := $(TOOLS)/bin:$(PATH)

.PHONY: all build demo test vet fmt-check bench bench-tools tools clean

all: build

# A static binary, as Terraform and k0sctl ship theirs: no libc to load at
# each start (0.3 ms of every k0flow process here), and it runs anywhere.
build:
	CGO_ENABLED=0 $(GO) build -ldflags "$(LDFLAGS)" -o $(K0FLOW) ./cmd/k0flow

# The quickstart from a clean slate: a full run, then the status it leaves.
demo: build tools
	cd examples/quickstart && rm -rf state old_deployments .k0flow-demo terraform/.terraform terraform/.terraform.lock.hcl terraform/terraform.tfstate* \
		&& $(K0FLOW) apply && $(K0FLOW) status

test: tools fmt-check vet
	$(GO) test -count=1 ./...

vet:
	$(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './.tools/*')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

bench: build bench-tools
	$(GO) test -run '^$$' -bench . -benchmem ./...
	bench/shell-lib.sh $(K0FLOW)
	bench/run.sh $(K0FLOW)

# mikefarah yq v4, the v1 library's tool, for the baselines of make bench.
bench-tools:
	@test -x $(TOOLS)/bin/yq && $(TOOLS)/bin/yq --version | grep -q 'v4.54.1' || \
		GOBIN=$(TOOLS)/bin GOFLAGS=-mod=mod $(GO) install github.com/mikefarah/yq/v4@v4.54.1

# Pinned tools the tests need go into the git-ignored .tools/: terraform
# (the one on PATH if it is 1.5 or later, else v1.5.7 built from source).
tools:
	@scripts/tools.sh $(TOOLS)

clean:
	rm -rf bin examples/quickstart/state examples/quickstart/old_deployments examples/quickstart/.k0flow-demo examples/quickstart/terraform/.terraform*  examples/quickstart/terraform/terraform.tfstate*
