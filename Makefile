.PHONY: all build test test-go lint tools cdk synth deploy destroy test-infra demo bench fleet chaos clean rie moto-check redrive invoke events

# Everything the targets need is installed by them into .tools/ (Go tools from
# the Go module proxy, the CDK CLI from npm). Go itself, Node.js 20 and npm come
# with the machine; moto_server and cfn-lint from pip (pip install 'moto[server]' cfn-lint).
GO         ?= go
TOOLS_BIN  := $(CURDIR)/.tools/bin
STATICCHECK_VERSION := v0.8.2
STATICCHECK := $(TOOLS_BIN)/staticcheck
GOARCH_HOST := $(shell $(GO) env GOARCH)

all: build

# ---- the function ----------------------------------------------------------
# The deployed build: linux/arm64, CGO off, -trimpath, -tags lambda.norpc.
build:
	mkdir -p .build/uploader/linux-arm64
	CGO_ENABLED=0 GOOS=linux GOARCH=arm64 $(GO) build -tags lambda.norpc -trimpath -ldflags='-s -w' \
	  -o .build/uploader/linux-arm64/bootstrap ./functions/uploader
	@ls -l .build/uploader/linux-arm64/bootstrap

tools: $(STATICCHECK) cdk

$(STATICCHECK):
	GOBIN=$(TOOLS_BIN) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

lint: $(STATICCHECK)
	@fmt_out=$$(gofmt -l $$($(GO) list -f '{{.Dir}}' ./...)); if [ -n "$$fmt_out" ]; then echo "gofmt needed:"; echo "$$fmt_out"; exit 1; fi
	$(GO) vet ./...
	$(STATICCHECK) ./...

clean:
	rm -rf .build cdk.out


# ---- CDK app (infra/, cdk.json) ---------------------------------------------
# The CDK CLI is pinned in .tools/cdk/package-lock.json and installed there
# (never in the module root: npm packages bring .go files that break go test).
# cdk.json's app is `go run ./infra`, which builds the function's bootstrap for
# the `arch` context setting into .build/uploader/linux-<goarch>/ and synthesizes.
# Extra CLI arguments: make deploy CDK_ARGS="-c kms=true -c maxConcurrency=20"
CDK_DIR  := .tools/cdk
CDK      := $(CDK_DIR)/node_modules/.bin/cdk
CDK_ENV  := CDK_DISABLE_CLI_TELEMETRY=true CDK_DISABLE_VERSION_CHECK=true \
            JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20 \
            AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true
CDK_ARGS ?=

cdk: $(CDK)

$(CDK): $(CDK_DIR)/package.json $(CDK_DIR)/package-lock.json
	@command -v npm >/dev/null || { echo "npm not found: install Node.js 20+ (Debian: apt-get install nodejs npm)"; exit 1; }
	cd $(CDK_DIR) && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	@touch $@

synth: cdk
	$(CDK_ENV) $(CDK) synth --no-notices --quiet $(CDK_ARGS)
	@ls cdk.out/*.template.json

# deploy and destroy first run the preflight (pkg/deployed/cmd/preflight):
# in about a second it prints who the CLI will act as, or one line saying
# which of profile, region and credentials is missing and how to fix it,
# instead of a synth and the CLI's "Unable to resolve AWS account". (Built,
# not `go run`, which would add an "exit status 1" line.) PROFILE names the
# AWS profile of both, as AWS_PROFILE: make deploy PROFILE=prod; a
# `--profile x` in CDK_ARGS sets it too.
PROFILE   ?= $(patsubst --profile=%,%,$(filter --profile=%,$(subst --profile ,--profile=,$(strip $(CDK_ARGS)))))
AWS_ENV    = $(if $(PROFILE),AWS_PROFILE=$(PROFILE))
PREFLIGHT  = $(GO) build -o .build/preflight ./pkg/deployed/cmd/preflight && $(AWS_ENV) .build/preflight

deploy: cdk
	@$(PREFLIGHT) -action deploy
	$(AWS_ENV) $(CDK_ENV) $(CDK) deploy --no-notices $(CDK_ARGS)

# Deletes the stack; the CLI asks first unless CDK_ARGS has --force (without
# a terminal it refuses: make destroy CDK_ARGS=--force). Unless the stack
# was deployed with -c dev=true, its RemovalPolicy is RETAIN: the
# uploads and access-log buckets (with their objects), the queue and its
# dead-letter queue (with their messages), the function's log group and, with
# -c kms=true, the KMS key are left behind, to delete by hand. With dev=true
# they go too: the buckets emptied first (not with -c local=true), the key
# after its 7-day pending window. The CDK bootstrap stack (CDKToolkit) and
# its staged assets stay either way.
destroy: cdk
	@$(PREFLIGHT) -action destroy
	$(AWS_ENV) $(CDK_ENV) $(CDK) destroy --no-notices $(CDK_ARGS)

# Move the dead letters of a deployed stack back to its queue, once their
# cause is fixed: make redrive REDRIVE_ARGS="-stack S3Uploader -n 10".
REDRIVE_ARGS ?=
redrive:
	$(GO) run ./pkg/redrive/cmd/redrive $(REDRIVE_ARGS)

# ---- tests -----------------------------------------------------------------
test: lint test-go test-infra

# Everything but the CDK app, with the race detector. the demo's (pkg/twin/cmd/demo) end-to-end
# test needs the emulator and the CDK CLI (and moto_server, or it skips).
test-go: rie cdk
	$(GO) test -race $$($(GO) list ./... | grep -v '/infra\(/\|$$\)')

# infra tests (the app and its construct, infra/s3uploader): template
# assertions per mode, cdk-nag, `cdk synth` of bad settings, the README's app,
# cfn-lint, and cdk bootstrap + deploy to a local moto_server. No -race: it
# would compile aws-cdk-go (huge) a second time, and the tests run no
# goroutines of their own.
test-infra: cdk
	@command -v cfn-lint >/dev/null || echo "note: cfn-lint not found (pip install cfn-lint): TestCfnLint will skip"
	@command -v moto_server >/dev/null || echo "note: moto_server not found (pip install 'moto[server]'): TestDeployToMoto will skip"
	$(CDK_ENV) go test ./infra/...

# The fault-schedule simulation (pkg/harness/chaos) over many seeds; `make test` runs
# 3 seeds of 1000. The totals land in .build/chaos-report.md (the README's
# RELIABILITY figures). Replay one seed: go test ./pkg/harness/chaos -args -chaos.seed=N -chaos.seeds=1
CHAOS_SEEDS    ?= 20
CHAOS_MESSAGES ?= 2000
chaos:
	mkdir -p .build
	$(GO) test -race -count=1 -timeout 60m -run TestFaultSchedule -v ./pkg/harness/chaos/ \
	  -args -chaos.seeds=$(CHAOS_SEEDS) -chaos.messages=$(CHAOS_MESSAGES) -chaos.report=$(CURDIR)/.build/chaos-report.md
	@cat .build/chaos-report.md

# ---- local demo (pkg/twin/cmd/demo) -------------------------------------------
# moto + cdk bootstrap/deploy of this stack + the deployed bootstrap under the
# Lambda Runtime Interface Emulator, fed by a local SQS event source, writing
# to a throttled S3. Flags: make demo DEMO_ARGS="-n 1000 -rate 10 -keep"
# (go run ./pkg/twin/cmd/demo -h lists them).
RIE_VERSION := v0.0.0-20261030222936-bef5c4ba774d
RIE         := $(TOOLS_BIN)/aws-lambda-rie
DEMO_ARGS  ?=

rie: $(RIE)

$(RIE):
	GOBIN=$(TOOLS_BIN) $(GO) install github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@$(RIE_VERSION)

moto-check:
	@command -v moto_server >/dev/null || { echo "moto_server not found: pip install 'moto[server]'"; exit 1; }

# The summary's time split starts here, before the tools are checked and
# `go run` builds the demo.
demo:
	@start=$$(date +%s%N); $(MAKE) --no-print-directory moto-check cdk rie && \
	  S3UPLOADER_DEMO_MAKE_START=$$start $(GO) run ./pkg/twin/cmd/demo $(DEMO_ARGS)

# ---- one event, locally (pkg/invoke/cmd/invoke) ------------------------------
# Runs the function once on one SQS event file, as `sam local invoke -e` does:
# its bootstrap for this machine under the emulator, against an in-process S3
# and SQS on 127.0.0.1. Prints the response, the log, the objects written
# (copies in .build/invoke/s3/BUCKET/KEY) and the dead letters. Flags:
# make invoke EVENT=functions/uploader/events/sns.json INVOKE_ARGS="-env ENVELOPE=sns"
# (go run ./pkg/invoke/cmd/invoke -h lists them).
EVENT       ?=
INVOKE_ARGS ?=
# (Built, not `go run`, so that a failure is one line, without go run's own.)
invoke: rie
	@$(GO) build -o .build/invoke/invoke ./pkg/invoke/cmd/invoke && \
	  .build/invoke/invoke -rie $(RIE) -event "$(EVENT)" $(INVOKE_ARGS)

# The sample events (functions/uploader/events), one line each: what it is,
# the command that invokes it.
events:
	@$(GO) run ./pkg/invoke/cmd/invoke -list

# ---- benchmark (pkg/harness/bench) ---------------------------------------------------
# A matrix of pictures of S3 (token buckets met by 8, 16 and 64 instances, a
# prefix being split, random SlowDown, hot keys, two prefixes, 500s and resets;
# then, long enough for a steady state, random SlowDown over 40,000 objects, a
# split under sustained demand, a capacity that falls mid-run and short
# outages) through no retry, the SDK's retry modes, plain backoff and this
# project's handler; sharding, handler overhead and cold start (under the
# emulator). Prints the tables, writes BENCHMARKS.md and
# pkg/harness/bench/charts/*.png. About 80 minutes on 2 cores (the matrix's
# last five rows are about half of it). Flags: make bench BENCH_ARGS="-matrix-repeats 1"
# (go run ./pkg/harness/bench/cmd/bench -h lists them).
BENCH_ARGS ?=
bench: rie
	$(GO) run ./pkg/harness/bench/cmd/bench $(BENCH_ARGS)

# ---- fleet simulation (pkg/harness/fleet) --------------------------------------------
# A discrete-event simulation on a virtual clock: 10, 100 and 1,000 instances
# (and the event source's own scaling from 5) on 1 and 10 prefixes draining
# 1 million messages, and 1,000 instances on a prefix that splits under
# sustained demand and on one with 5 % random SlowDown, with this project's
# retry code, plain backoff, the SDK's standard retryer and the ideal; first
# the honesty check against the in-process benchmark (bucket-8, bucket-16).
# Writes the fleet section of BENCHMARKS.md and pkg/harness/fleet/charts/*.png.
# About 15 minutes on 2 cores.
# One run: go run ./pkg/harness/fleet/cmd/fleet -instances 1000 -prefixes 1 (-h lists the flags).
FLEET_ARGS ?=
fleet:
	$(GO) run ./pkg/harness/fleet/cmd/fleet -table $(FLEET_ARGS)
