#!/usr/bin/env bash
# Gradescope runs this once, when it builds the autograder's image. It
# installs Go, builds the grader, and compiles the tests' dependencies with
# the race detector so that each submission builds fast.
#
# The autograder zip (made by grading/gradescope/build.sh) holds this file,
# run_autograder, and the instructors' tree (tests and reference solution)
# in pblab/. Students never see $AUTOGRADER_ROOT/source.
#
# AUTOGRADER_ROOT (default /autograder) is where Gradescope puts everything;
# grading/gradescope/simulate sets it to a temporary folder. What is already
# there is not installed again: a C compiler (the race detector needs one)
# and any release of Go ${GO_VERSION%.*} on the PATH. Otherwise this needs the
# network: Ubuntu's packages and go.dev; the Go modules come through the Go
# module proxy.
set -euo pipefail

GO_VERSION=1.26.8
ROOT=${AUTOGRADER_ROOT:-/autograder}
SRC=$ROOT/source/pblab

export PATH=/usr/local/go/bin:$PATH
have_go=false
if go version 2>/dev/null | grep -q "go${GO_VERSION%.*}[. ]"; then
	have_go=true
	echo "Go ${GO_VERSION%.*} is installed already"
fi

if ! command -v gcc >/dev/null || { ! $have_go && ! command -v curl >/dev/null; }; then
	apt-get update -q
	apt-get install -y -q --no-install-recommends ca-certificates curl gcc libc6-dev
fi

if ! $have_go; then
	curl -fsSL "https://go.dev/dl/go${GO_VERSION}.linux-amd64.tar.gz" -o /tmp/go.tgz
	rm -rf /usr/local/go
	tar -C /usr/local -xzf /tmp/go.tgz
	rm /tmp/go.tgz
fi
go version

cd "$SRC"
go mod download
go build -o "$ROOT/pblab-grade" ./grading
# Warm the build cache: the race-enabled standard library and dependencies.
go test -race -count=1 -run '^$' ./viewservice ./pbservice
