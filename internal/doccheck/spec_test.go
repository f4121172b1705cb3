package doccheck

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pblab/internal/rubric"
)

// A partGuide is one Part's page of the guide, the package whose tests cite
// its Specification box, and the letter of its rules ("A" for A1, A2, ...).
type partGuide struct {
	page   string // "docs/part-a-viewservice.md"
	pkg    string // "viewservice"
	letter string // "A"
}

var partGuides = []partGuide{
	{page: "docs/part-a-viewservice.md", pkg: "viewservice", letter: "A"},
	{page: "docs/part-b-pbservice.md", pkg: "pbservice", letter: "B"},
}

// zhPage returns the Chinese edition of the page.
func (g partGuide) zhPage() string { return "docs/zh/" + filepath.Base(g.page) }

// specIDs returns the rules of the page's Specification box, in order: the
// ids of its <a id="a1"></a> anchors, written "A1".
func (g partGuide) specIDs(p *page) []string {
	re := regexp.MustCompile(`^` + strings.ToLower(g.letter) + `([1-9][0-9]*)$`)
	var nums []int
	for anchor := range p.anchors {
		if m := re.FindStringSubmatch(anchor); m != nil {
			n, _ := strconv.Atoi(m[1])
			nums = append(nums, n)
		}
	}
	slices.Sort(nums)
	ids := make([]string, len(nums))
	for i, n := range nums {
		ids[i] = fmt.Sprintf("%s%d", g.letter, n)
	}
	return ids
}

// A citation is one rule value in a package's tests: rule{"B3", "..."}.
type citation struct {
	pos string // file:line
	id  string // "" if the id is not a string literal
}

// citations returns every rule{...} composite literal in the _test.go files
// of dir, with the rule id it gives: its first element, or its id field.
func citations(t *testing.T, dir string) []citation {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*_test.go"))
	require.NoError(t, err)
	fset := token.NewFileSet()
	var cites []citation
	for _, file := range files {
		f, err := parser.ParseFile(fset, file, nil, 0)
		require.NoError(t, err, "parsing %s", file)
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.CompositeLit)
			if !ok || !isIdent(lit.Type, "rule") {
				return true
			}
			pos := fset.Position(lit.Pos())
			cites = append(cites, citation{
				pos: fmt.Sprintf("%s/%s:%d", filepath.Base(dir), filepath.Base(pos.Filename), pos.Line),
				id:  ruleID(lit),
			})
			return true
		})
	}
	return cites
}

func isIdent(e ast.Expr, name string) bool {
	id, ok := e.(*ast.Ident)
	return ok && id.Name == name
}

// ruleID returns the id a rule literal gives, or "" if it gives none as a
// string literal.
func ruleID(lit *ast.CompositeLit) string {
	var e ast.Expr
	for i, elt := range lit.Elts {
		if kv, ok := elt.(*ast.KeyValueExpr); ok {
			if isIdent(kv.Key, "id") {
				e = kv.Value
			}
		} else if i == 0 {
			e = elt
		}
	}
	bl, ok := e.(*ast.BasicLit)
	if !ok || bl.Kind != token.STRING {
		return ""
	}
	id, err := strconv.Unquote(bl.Value)
	if err != nil {
		return ""
	}
	return id
}

// Each Part's page opens with a Specification box: its rules numbered A1,
// A2, ... (B1, B2, ... for Part B), each with an anchor <a id="a1"></a>.
// The tests' failure messages name those rules, so the two must agree both
// ways: every rule a test cites is in the box, and every rule of the box is
// cited by at least one test.
func TestSpecificationCitedByTests(t *testing.T) {
	root := moduleRoot(t)
	for _, g := range partGuides {
		ids := g.specIDs(readPage(t, root, g.page))
		require.NotEmpty(t, ids, "%s has a Specification box: rules %s1, %s2, ..., each with an anchor such as <a id=\"%s1\"></a> (%s)",
			g.page, g.letter, g.letter, strings.ToLower(g.letter), rule)
		for i, id := range ids {
			assert.Equal(t, fmt.Sprintf("%s%d", g.letter, i+1), id, "%s: the Specification box numbers its rules %s1, %s2, ... with no gap (%s)",
				g.page, g.letter, g.letter, rule)
		}
		cites := citations(t, filepath.Join(root, g.pkg))
		require.NotEmpty(t, cites, "%s's tests name the rule each failure breaks, as rule{\"%s1\", ...} values (%s)", g.pkg, g.letter, rule)
		cited := map[string]bool{}
		for _, c := range cites {
			assert.Contains(t, ids, c.id, "%s: a rule of the tests cites %q, which is not a rule of %s's Specification box (%s)",
				c.pos, c.id, g.page, rule)
			cited[c.id] = true
		}
		for _, id := range ids {
			assert.True(t, cited[id], "%s: rule %s of the Specification box is cited by no test of %s: test it, or drop it (%s)",
				g.page, id, g.pkg, rule)
		}
	}
}

// The tests and the rubric link English anchors of the Part pages; the
// Chinese editions carry each of them too (an <a id> beside each heading),
// so that a link works whichever edition a student reads.
func TestChinesePartPagesKeepTheAnchors(t *testing.T) {
	root := moduleRoot(t)
	for _, g := range partGuides {
		en, zh := readPage(t, root, g.page), readPage(t, root, g.zhPage())
		var missing []string
		for _, anchor := range slices.Sorted(maps.Keys(en.anchors)) {
			if !zh.anchors[anchor] {
				missing = append(missing, anchor)
			}
		}
		assert.Empty(t, missing, "%s lacks these anchors of %s: add <a id=\"...\"></a> beside the matching heading or rule (%s)",
			g.zhPage(), g.page, rule)
	}
}

// testRowRE matches a row of a Part page's table of tests, one row per
// step: | [3](#step-3-forwarding-to-the-backup) | `TestA` (1), `TestB` (2) |;
// testCellRE matches one test of its second cell.
var (
	testRowRE  = regexp.MustCompile(`^\| \[[^\]]*\]\(#([^)]+)\) \| (.*) \|$`)
	testCellRE = regexp.MustCompile("`(Test[A-Za-z0-9_]+)` \\(([0-9]+)\\)")
)

// Each Part's page, in each language, ends with the table of its graded
// tests: for each section of the page that makes tests pass (the rubric's
// Doc), a row of those tests with their points, in the rubric's order.
// Hidden tests are not listed: the handout does not hold them.
func TestPartPagesListTheRubric(t *testing.T) {
	root := moduleRoot(t)
	for _, g := range partGuides {
		var want []string
		for _, test := range rubric.Tests() {
			if test.Package != g.pkg || test.Hidden != "" {
				continue
			}
			page, anchor, _ := strings.Cut(test.Doc, "#")
			require.Equal(t, g.page, page, "rubric: %s's Doc is a section of %s", test.Name, g.page)
			want = append(want, fmt.Sprintf("#%s %s (%d)", anchor, test.Name, test.Points))
		}
		for _, rel := range []string{g.page, g.zhPage()} {
			data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(rel)))
			require.NoError(t, err)
			var got []string
			for line := range strings.Lines(string(data)) {
				row := testRowRE.FindStringSubmatch(strings.TrimSpace(line))
				if row == nil {
					continue
				}
				for _, m := range testCellRE.FindAllStringSubmatch(row[2], -1) {
					got = append(got, fmt.Sprintf("#%s %s (%s)", row[1], m[1], m[2]))
				}
			}
			assert.Equal(t, want, got, "%s's table of tests lists the rubric's tests of its part in order, a row per section "+
				"that makes tests pass (the rubric's Doc): | [step](#anchor) | `TestA` (points), `TestB` (points) | (%s)", rel, rule)
		}
	}
}
