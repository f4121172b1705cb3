package mutants

import (
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pblab/internal/grader"
	"pblab/internal/labenv"
)

// TestMutantsApply checks that every mutant of the corpus still applies to
// the reference solution and builds: a mutant that no longer applies is a
// failure too, not a silent skip.
func TestMutantsApply(t *testing.T) {
	root, err := labenv.ModuleRoot(".")
	require.NoError(t, err)
	ms, err := Load(root)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, len(ms), 15, "the corpus has at least 15 mutants")
	seen := map[string]string{}
	for _, m := range ms {
		files, err := m.Apply(root)
		if !assert.NoError(t, err) {
			continue
		}
		for file, data := range files {
			orig, err := os.ReadFile(filepath.Join(root, file))
			require.NoError(t, err)
			assert.NotEqual(t, string(orig), string(data), "%s changes %s", m.Name, file)
		}
		names := slices.Sorted(maps.Keys(files))
		key := strings.Join(names, ",") + "\n"
		for _, f := range names {
			key += string(files[f])
		}
		if other, dup := seen[key]; dup {
			t.Errorf("mutants %s and %s make the same change", other, m.Name)
		}
		seen[key] = m.Name
	}
}

// TestMutantsBuild compiles every mutant (go vet included), through the
// same -overlay the mutants command uses.
func TestMutantsBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles every mutant")
	}
	root, err := labenv.ModuleRoot(".")
	require.NoError(t, err)
	ms, err := Load(root)
	require.NoError(t, err)
	for _, m := range ms {
		overlay, cleanup, err := m.Overlay(root)
		require.NoError(t, err, m.Name)
		cmd := exec.Command(grader.GoCommand(), "vet", "-overlay", overlay, "./viewservice", "./pbservice")
		cmd.Dir = root
		out, err := cmd.CombinedOutput()
		assert.NoError(t, err, "mutant %s does not build or vet:\n%s", m.Name, out)
		cleanup()
	}
}

func TestParseMutant(t *testing.T) {
	m, err := Parse("x", []byte("the bug\nmore words\nknown survivor: no test yet\n-- old a/b.go --\n\tx := 1\n-- new a/b.go --\n\tx := 2\n-- old a/b.go --\nfoo\n-- new a/b.go --\n"))
	require.NoError(t, err)
	assert.Equal(t, "the bug", m.Desc)
	assert.Equal(t, "no test yet", m.Known)
	assert.Equal(t, []Edit{{"a/b.go", "\tx := 1\n", "\tx := 2\n"}, {"a/b.go", "foo\n", ""}}, m.Edits)

	for in, want := range map[string]string{
		"bug\n-- new a.go --\nx\n":                    "new section for a.go without an old section",
		"bug\n-- old a.go --\nx\n":                    "has no new section",
		"bug\n-- old a.go --\nx\n-- old a.go --\ny\n": "must be followed by its new section",
		"bug\n-- old a.go --\n-- new a.go --\n":       "empty old section",
		"-- old a.go --\nx\n-- new a.go --\n":         "needs a description line",
		"bug\n-- old a.go --\nx\n-- new b.go --\ny\n": "new section for b.go without an old section for the same file",
	} {
		_, err := Parse("x", []byte(in))
		if assert.Error(t, err, in) {
			assert.Contains(t, err.Error(), want)
		}
	}
}

func TestMutantNoLongerApplies(t *testing.T) {
	root := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(root, "a.go"), []byte("package a\nvar x = 1\nvar y = 1\n"), 0o644))
	_, err := (&Mutant{Name: "gone", Edits: []Edit{{"a.go", "var z = 1\n", ""}}}).Apply(root)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "mutant gone no longer applies")
	_, err = (&Mutant{Name: "twice", Edits: []Edit{{"a.go", " = 1\n", " = 2\n"}}}).Apply(root)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "ambiguous")
}
