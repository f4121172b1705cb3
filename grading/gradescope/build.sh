#!/usr/bin/env bash
# Builds autograder.zip for Gradescope from this repository's committed
# state: setup.sh and run_autograder at the root, the tree in pblab/.
#
#   grading/gradescope/build.sh [OUT.zip]      (default: ./autograder.zip)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=$(realpath -m "${1:-autograder.zip}")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

git -C "$root" archive --format=tar --prefix=pblab/ HEAD | tar -x -C "$work"
cp "$here/setup.sh" "$here/run_autograder" "$work/"
chmod +x "$work/setup.sh" "$work/run_autograder"
rm -f "$out"
(cd "$work" && python3 -c '
import os, sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z:
    for dirpath, _, files in os.walk("."):
        for f in sorted(files):
            p = os.path.join(dirpath, f)
            z.write(p, os.path.relpath(p, "."))
' "$out")
echo "wrote $out"
