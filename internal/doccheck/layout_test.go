package doccheck

import (
	"maps"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pblab/internal/handout"
	"pblab/internal/labenv"
	"pblab/internal/rubric"
)

// layoutRowRE matches a row of the README's layout table and captures its
// folder and its "a student edits" cell: | [`viewservice/`](viewservice) | ... | `server.go` |.
var layoutRowRE = regexp.MustCompile("^\\| \\[`([^`]+)/`\\]\\([^)]*\\) \\|.*\\| ([^|]*) \\|$")

// The README's layout table names, for each folder, the files a student
// edits: exactly the student's files of the rubric (rubric.StudentFiles),
// which the handout strips and the grader takes from a submission. The
// student's README (README.student.md, the handout's README.md) has such a
// table too.
func TestReadmeNamesTheStudentFiles(t *testing.T) {
	root, err := labenv.ModuleRoot(".")
	require.NoError(t, err)
	for _, readme := range []string{"README.md", handout.StudentReadme} {
		data, err := os.ReadFile(filepath.Join(root, readme))
		if readme == handout.StudentReadme && os.IsNotExist(err) {
			continue // the tree is a student's handout
		}
		require.NoError(t, err)
		checkLayoutTable(t, readme, string(data))
	}
}

// checkLayoutTable checks the layout table of the README called name.
func checkLayoutTable(t *testing.T, name, text string) {
	t.Helper()
	want := map[string][]string{}
	for _, f := range rubric.StudentFiles {
		want[path.Dir(f)] = append(want[path.Dir(f)], "`"+path.Base(f)+"`")
	}
	rows := 0
	for line := range strings.Lines(text) {
		m := layoutRowRE.FindStringSubmatch(strings.TrimSpace(line))
		if m == nil {
			continue
		}
		rows++
		dir, cell := m[1], strings.TrimSpace(m[2])
		got := []string{}
		if cell != "no" {
			got = strings.Split(cell, ", ")
		}
		assert.ElementsMatch(t, want[dir], got,
			"%s's layout table, row %s: the files a student edits are rubric.StudentFiles (%s)", name, dir, rule)
		delete(want, dir)
	}
	require.NotZero(t, rows, "%s has a layout table with a column of the files a student edits (%s)", name, rule)
	assert.Empty(t, slices.Sorted(maps.Keys(want)),
		"%s's layout table has a row for every folder holding student files (%s)", name, rule)
}
