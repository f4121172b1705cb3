package doccheck

import (
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pblab/internal/handout"
	"pblab/internal/rubric"
)

// importPages are the pages that print the imports a student's file may
// have: the instructor guide (which the handout leaves out), and the
// student's page on submitting in each language.
var importPages = []string{"docs/instructors.md", "docs/submitting.md", "docs/zh/submitting.md"}

var (
	// twoCellRowRE matches a table row of two cells.
	twoCellRowRE = regexp.MustCompile(`^\|([^|]*)\|([^|]*)\|$`)
	// importPathRE matches what an import path of the allow-list looks like.
	importPathRE = regexp.MustCompile(`^[a-z0-9]+(/[a-z0-9.]+)*$`)
)

// Each page that prints the allowed imports prints exactly the rubric's:
// a table of two columns, one row for the standard library (its first cell
// is anything but a folder) and one per folder of student files (its first
// cell is the folder as code, `pbservice/`), each second cell a list of
// import paths as code.
func TestPagesPrintTheAllowedImports(t *testing.T) {
	root := moduleRoot(t)
	for _, rel := range importPages {
		data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(rel)))
		if os.IsNotExist(err) && slices.Contains(handout.InstructorPages, rel) {
			continue // the tree is a student's handout
		}
		require.NoError(t, err)
		rows := importRows(string(data))
		require.Contains(t, rows, "", "%s prints the standard packages a student's file may import, in a row of a two-column table (%s)", rel, rule)
		assert.ElementsMatch(t, rubric.StandardImports, rows[""],
			"%s: the standard packages a student's file may import are rubric.StandardImports (%s)", rel, rule)
		for _, dir := range slices.Sorted(maps.Keys(rubric.LabImports)) {
			assert.ElementsMatch(t, rubric.LabImports[dir], rows[dir+"/"],
				"%s: the row of `%s/` lists rubric.LabImports[%q] (%s)", rel, dir, dir, rule)
		}
		assert.Len(t, rows, 1+len(rubric.LabImports), "%s: one row for the standard library, one per folder of student files", rel)
	}
}

// importRows returns the rows of the page's tables that list import paths,
// keyed by the folder their first cell names ("pbservice/"), or "" for a
// first cell that names none.
func importRows(text string) map[string][]string {
	rows := map[string][]string{}
	for line := range strings.Lines(text) {
		m := twoCellRowRE.FindStringSubmatch(strings.TrimSpace(line))
		if m == nil {
			continue
		}
		paths, ok := codeList(m[2])
		if !ok {
			continue
		}
		key := ""
		if folder, ok := codeList(m[1]); ok && len(folder) == 1 && strings.HasSuffix(folder[0], "/") {
			key = folder[0]
		}
		rows[key] = paths
	}
	return rows
}

// codeList returns the code spans of a cell made of nothing but import
// paths as code, separated by commas ("," or "、").
func codeList(cell string) ([]string, bool) {
	var list []string
	rest := codeSpanRE.ReplaceAllStringFunc(cell, func(span string) string {
		list = append(list, strings.Trim(span, "`"))
		return ""
	})
	if strings.Trim(rest, " ,、") != "" || len(list) == 0 {
		return nil, false
	}
	for _, p := range list {
		if !importPathRE.MatchString(strings.TrimSuffix(p, "/")) {
			return nil, false
		}
	}
	return list, true
}
