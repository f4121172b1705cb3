#!/usr/bin/env bash
# Gradescope runs this once, when it builds the autograder's image. It
# installs Go, builds the grader, and compiles the tests' dependencies with
# the race detector so that each submission builds fast.
#
# The autograder zip (made by grading/gradescope/build.sh) holds this file,
# run_autograder, and the instructors' tree (tests and reference solution)
# in pblab/. Students never see /autograder/source.
set -euo pipefail

GO_VERSION=1.26.8
SRC=/autograder/source/pblab

apt-get update -q
apt-get install -y -q --no-install-recommends ca-certificates curl gcc libc6-dev

curl -fsSL "https://go.dev/dl/go${GO_VERSION}.linux-amd64.tar.gz" -o /tmp/go.tgz
rm -rf /usr/local/go
tar -C /usr/local -xzf /tmp/go.tgz
rm /tmp/go.tgz
export PATH=/usr/local/go/bin:$PATH
go version

cd "$SRC"
go mod download
go build -o /autograder/pblab-grade ./grading
# Warm the build cache: the race-enabled standard library and dependencies.
go test -race -count=1 -run '^$' ./viewservice ./pbservice
