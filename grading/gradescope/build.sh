#!/usr/bin/env bash
# Builds autograder.zip for Gradescope: setup.sh and run_autograder at the
# root, the instructors' tree (tests and reference solution) in pblab/.
#
#   grading/gradescope/build.sh [-worktree] [OUT.zip]    (default: ./autograder.zip)
#
# By default the zip holds the committed state (HEAD) of the repository this
# script is in, and it warns when the working tree has changes that are not
# in it. -worktree packs the working tree instead: every file git tracks,
# as it is now, and every new file git does not ignore.
set -euo pipefail
worktree=false
if [ "${1:-}" = "-worktree" ]; then
	worktree=true
	shift
fi
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=$(realpath -m "${1:-autograder.zip}")

if ! git -C "$root" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	echo "build.sh: $root is not a git checkout: the zip is made from what git tracks (clone the repository, or git init && git add . && git commit)" >&2
	exit 1
fi
if ! command -v python3 >/dev/null; then
	echo "build.sh: python3 is needed to write the zip" >&2
	exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/pblab"

changes=$(git -C "$root" status --porcelain)
if $worktree; then
	(cd "$root" && git ls-files -z --cached --others --exclude-standard |
		while IFS= read -r -d '' f; do [ -f "$f" ] && printf '%s\0' "$f"; done |
		tar --null -T - -cf -) | tar -x -C "$work/pblab"
	echo "packing the working tree of $root"
else
	git -C "$root" archive --format=tar HEAD | tar -x -C "$work/pblab"
	if [ -n "$changes" ]; then
		echo "build.sh: warning: these changes are not committed, so they are NOT in the zip (commit them, or use -worktree):" >&2
		echo "$changes" | sed 's/^/  /' >&2
	fi
	echo "packing commit $(git -C "$root" rev-parse --short HEAD) of $root"
fi
cp "$here/setup.sh" "$here/run_autograder" "$work/"
chmod +x "$work/setup.sh" "$work/run_autograder"
rm -f "$out"
(cd "$work" && python3 -c '
import os, sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z:
    for dirpath, dirs, files in os.walk("."):
        dirs.sort()
        for f in sorted(files):
            p = os.path.join(dirpath, f)
            z.write(p, os.path.relpath(p, "."))
' "$out")
echo "wrote $out"
