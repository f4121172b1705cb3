package doccheck

import (
	"fmt"
	"go/parser"
	"go/scanner"
	"go/token"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pblab/internal/handout"
	"pblab/internal/labenv"
)

// rule names where the conventions this test enforces are written down.
const rule = "see the maintainers' notes in docs/README.md and the package doc of internal/doccheck"

// A page is one Markdown file of the guide, read and split up.
type page struct {
	rel     string          // slash path from the module root, such as "docs/concepts.md"
	links   []link          // relative links, in order
	anchors map[string]bool // the fragments that lead somewhere on this page
	blocks  []codeBlock     // fenced code blocks
}

type link struct {
	line   int
	target string // as written: "part-a-viewservice.md#the-ack-rule"
}

type codeBlock struct {
	line   int    // the line of the opening fence
	info   string // the info string: "go compile", "mermaid", ...
	text   string
	before string // the line before the opening fence, trimmed: a sample's marker
}

// moduleRoot returns the root of the module the test runs in.
func moduleRoot(t *testing.T) string {
	t.Helper()
	root, err := labenv.ModuleRoot(".")
	require.NoError(t, err, "the docs check runs inside the lab's tree")
	return root
}

// guidePages returns README.md, the student's README (README.student.md,
// which the handout holds as its README.md) and every .md file under
// docs/, as slash paths from root.
func guidePages(t *testing.T, root string) []string {
	t.Helper()
	var pages []string
	for _, readme := range []string{"README.md", handout.StudentReadme} {
		if _, err := os.Stat(filepath.Join(root, readme)); err == nil {
			pages = append(pages, readme)
		}
	}
	err := filepath.WalkDir(filepath.Join(root, "docs"), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(p, ".md") {
			rel, err := filepath.Rel(root, p)
			if err != nil {
				return err
			}
			pages = append(pages, filepath.ToSlash(rel))
		}
		return nil
	})
	require.NoError(t, err, "reading docs/")
	require.Contains(t, pages, "docs/README.md", "docs/README.md is the guide's index and must exist")
	return pages
}

var (
	fenceRE     = regexp.MustCompile("^ {0,3}(`{3,}|~{3,})(.*)$")
	headingRE   = regexp.MustCompile(`^ {0,3}#{1,6}[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$`)
	codeSpanRE  = regexp.MustCompile("(`+)[^`]*?(`+)")
	inlineRE    = regexp.MustCompile(`!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*(<[^>]*>|[^)\s]+)(?:\s+(?:"[^"]*"|'[^']*'))?\s*\)`)
	refDefRE    = regexp.MustCompile(`^ {0,3}\[[^\]]+\]:\s*(<[^>]*>|\S+)`)
	hrefRE      = regexp.MustCompile(`(?i)\b(?:href|src)\s*=\s*"([^"]*)"`)
	htmlIDRE    = regexp.MustCompile(`(?i)<a\s+[^>]*\b(?:id|name)\s*=\s*"([^"]+)"`)
	htmlTagRE   = regexp.MustCompile(`<[^>]+>`)
	mdLinkRE    = regexp.MustCompile(`!?\[([^\]]*)\]\([^)]*\)`)
	schemeRE    = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9+.-]*:`)
	docAnchorRE = regexp.MustCompile(`docs/[A-Za-z0-9_./-]+\.md(?:#[A-Za-z0-9_-]+)?`)
)

// A fences follows a page line by line, and knows which lines are fenced
// code.
type fences struct {
	open string // the open fence, "" outside code
}

// Line kinds, as fences.step tells them.
const (
	textLine  = iota // a line outside code
	openLine         // the opening fence of a block; info is its info string
	codeLine         // a line inside a block
	closeLine        // the closing fence of a block
)

// step reads the next line and says what it is.
func (f *fences) step(line string) (kind int, info string) {
	m := fenceRE.FindStringSubmatch(line)
	if f.open != "" {
		if m != nil && m[1][0] == f.open[0] && len(m[1]) >= len(f.open) && strings.TrimSpace(m[2]) == "" {
			f.open = ""
			return closeLine, ""
		}
		return codeLine, ""
	}
	if m != nil && !(m[1][0] == '`' && strings.Contains(m[2], "`")) {
		f.open = m[1]
		return openLine, strings.TrimSpace(m[2])
	}
	return textLine, ""
}

// readPage reads the page rel (a slash path from root) and finds its links,
// headings and code blocks.
func readPage(t *testing.T, root, rel string) *page {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(rel)))
	require.NoError(t, err)
	p := &page{rel: rel, anchors: map[string]bool{}}
	seen := map[string]int{}

	var f fences
	var block *codeBlock
	prev := "" // the line before this one, outside code
	for i, line := range strings.Split(string(data), "\n") {
		n := i + 1
		kind, info := f.step(line)
		switch kind {
		case openLine:
			block = &codeBlock{line: n, info: info, before: prev}
			continue
		case codeLine:
			block.text += line + "\n"
			continue
		case closeLine:
			p.blocks = append(p.blocks, *block)
			block = nil
			continue
		}
		prev = strings.TrimSpace(line)
		for _, m := range htmlIDRE.FindAllStringSubmatch(line, -1) {
			p.anchors[m[1]] = true
		}
		if m := headingRE.FindStringSubmatch(line); m != nil {
			slug := Slug(m[1])
			if k := seen[slug]; k > 0 {
				p.anchors[fmt.Sprintf("%s-%d", slug, k)] = true
			} else {
				p.anchors[slug] = true
			}
			seen[slug]++
		}
		text := codeSpanRE.ReplaceAllString(line, "")
		for _, m := range inlineRE.FindAllStringSubmatch(text, -1) {
			p.addLink(n, m[1])
		}
		for _, m := range hrefRE.FindAllStringSubmatch(text, -1) {
			p.addLink(n, m[1])
		}
		if m := refDefRE.FindStringSubmatch(text); m != nil {
			p.addLink(n, m[1])
		}
	}
	if block != nil {
		assert.Fail(t, fmt.Sprintf("%s: a code fence opened at line %d is never closed", rel, block.line), rule)
	}
	return p
}

func (p *page) addLink(line int, target string) {
	target = strings.TrimSuffix(strings.TrimPrefix(target, "<"), ">")
	if target == "" || schemeRE.MatchString(target) || strings.HasPrefix(target, "//") {
		return // an absolute URL
	}
	p.links = append(p.links, link{line: line, target: target})
}

// Slug returns the anchor GitHub gives a heading with the Markdown text
// heading (before numbering repeats): the rendered text in lower case, with
// every character that is not a letter, mark, digit, '_', '-' or ' '
// removed, and each space turned into '-'.
func Slug(heading string) string {
	text := mdLinkRE.ReplaceAllString(heading, "$1")
	text = htmlTagRE.ReplaceAllString(text, "")
	text = strings.NewReplacer("`", "", "*", "").Replace(text)
	var b strings.Builder
	for _, r := range strings.ToLower(text) {
		switch {
		case r == ' ':
			b.WriteByte('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsMark(r) || unicode.IsDigit(r) || unicode.IsNumber(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

func TestSlug(t *testing.T) {
	for heading, want := range map[string]string{
		"The ack rule":                             "the-ack-rule",
		"Step 1: the first primary":                "step-1-the-first-primary",
		"`Call` returns false":                     "call-returns-false",
		"Why the primary waits (the output rule)":  "why-the-primary-waits-the-output-rule",
		"[labrpc](labrpc.md) in one page":          "labrpc-in-one-page",
		"What replication cannot fix?":             "what-replication-cannot-fix",
		"Time: virtual by default, real on demand": "time-virtual-by-default-real-on-demand",
		"输出规则：主为什么要等备":                             "输出规则主为什么要等备",
		"PBLAB_REALTIME=1 and LABRPC_SEED":         "pblab_realtime1-and-labrpc_seed",
	} {
		assert.Equal(t, want, Slug(heading), "GitHub's slug of %q", heading)
	}
}

// TestLinks checks that every relative link in README.md and docs/ leads to
// an existing file, and every #fragment to an existing heading.
func TestLinks(t *testing.T) {
	root := moduleRoot(t)
	pages := map[string]*page{}
	for _, rel := range guidePages(t, root) {
		pages[rel] = readPage(t, root, rel)
	}
	anchorsOf := func(rel string) map[string]bool {
		if p, ok := pages[rel]; ok {
			return p.anchors
		}
		return readPage(t, root, rel).anchors // a .md file outside the guide
	}

	names := slices.Sorted(func(yield func(string) bool) {
		for rel := range pages {
			if !yield(rel) {
				return
			}
		}
	})
	checked := 0
	for _, rel := range names {
		for _, l := range pages[rel].links {
			checked++
			where := fmt.Sprintf("%s:%d: link %q", rel, l.line, l.target)
			file, frag, _ := strings.Cut(l.target, "#")
			file, _, _ = strings.Cut(file, "?")
			dest := rel // a bare #fragment points into the page itself
			if file != "" {
				dest = path.Clean(path.Join(path.Dir(rel), file))
				if dest == ".." || strings.HasPrefix(dest, "../") {
					assert.Fail(t, where+" leaves the repository", rule)
					continue
				}
				if _, err := os.Stat(filepath.Join(root, filepath.FromSlash(dest))); err != nil {
					assert.Fail(t, where+": no such file "+dest, rule)
					continue
				}
			}
			if frag == "" || !strings.HasSuffix(dest, ".md") {
				continue
			}
			if !anchorsOf(dest)[frag] {
				assert.Fail(t, fmt.Sprintf("%s: %s has no heading with the anchor #%s", where, dest, frag), rule)
			}
		}
	}
	t.Logf("checked %d relative links in %d pages", checked, len(pages))
}

// TestHandoutPagesLinkNoInstructorPage checks that no page the handout
// holds links to a page it leaves out (handout.InstructorPages), or names
// it in its text: every page but those and the instructors' README.md,
// where a README.student.md takes its place in the handout.
func TestHandoutPagesLinkNoInstructorPage(t *testing.T) {
	root := moduleRoot(t)
	_, err := os.Stat(filepath.Join(root, handout.StudentReadme))
	instructorsReadme := err == nil
	for _, rel := range guidePages(t, root) {
		if slices.Contains(handout.InstructorPages, rel) || rel == "README.md" && instructorsReadme {
			continue
		}
		data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(rel)))
		require.NoError(t, err)
		for i, line := range strings.Split(string(data), "\n") {
			for _, staff := range handout.InstructorPages {
				if strings.Contains(line, path.Base(staff)) {
					assert.Fail(t, fmt.Sprintf("%s:%d: names %s, which the handout leaves out: it is for the course staff", rel, i+1, staff), rule)
				}
			}
		}
		for _, l := range readPage(t, root, rel).links {
			file, _, _ := strings.Cut(l.target, "#")
			if file == "" {
				continue
			}
			if dest := path.Clean(path.Join(path.Dir(rel), file)); slices.Contains(handout.InstructorPages, dest) {
				assert.Fail(t, fmt.Sprintf("%s:%d: link %q: the handout holds this page but not %s, which is for the course staff", rel, l.line, l.target, dest), rule)
			}
		}
	}
}

// TestDocAnchorsInCode checks every "docs/....md#anchor" written in the
// module's Go files: test failure messages and the rubric send students
// there.
func TestDocAnchorsInCode(t *testing.T) {
	root := moduleRoot(t)
	anchors := map[string]map[string]bool{}
	checked := 0
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if p != root && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		fset := token.NewFileSet()
		file := fset.AddFile(p, -1, len(data))
		var sc scanner.Scanner
		sc.Init(file, data, nil, 0) // comments are skipped: only string literals count
		for {
			pos, tok, lit := sc.Scan()
			if tok == token.EOF {
				break
			}
			if tok != token.STRING {
				continue
			}
			for _, ref := range docAnchorRE.FindAllString(lit, -1) {
				checked++
				where := fmt.Sprintf("%s:%d: %q", filepath.ToSlash(rel), fset.Position(pos).Line, ref)
				page, frag, _ := strings.Cut(ref, "#")
				if _, err := os.Stat(filepath.Join(root, filepath.FromSlash(page))); err != nil {
					if slices.Contains(handout.InstructorPages, page) && os.IsNotExist(err) {
						continue // the tree is a student's handout, which leaves the page out
					}
					assert.Fail(t, where+" names a page that does not exist", rule)
					continue
				}
				if frag == "" {
					continue
				}
				if anchors[page] == nil {
					anchors[page] = readPage(t, root, page).anchors
				}
				assert.True(t, anchors[page][frag], "%s: %s has no heading with the anchor #%s (%s)", where, page, frag, rule)
			}
		}
		return nil
	})
	require.NoError(t, err)
	t.Logf("checked %d doc references in Go files", checked)
}

// TestCodeBlocksCompile builds and vets every "go compile" block in docs/.
func TestCodeBlocksCompile(t *testing.T) {
	root := moduleRoot(t)
	type source struct {
		dir   string // relative to root
		where string // page and line, for messages
	}
	var sources []source
	tmp, err := os.MkdirTemp(root, "_doccheck-") // '_': invisible to ./... patterns
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(tmp) })
	tmpRel, err := filepath.Rel(root, tmp)
	require.NoError(t, err)

	for _, rel := range guidePages(t, root) {
		if !strings.HasPrefix(rel, "docs/") {
			continue
		}
		for _, b := range readPage(t, root, rel).blocks {
			fields := strings.Fields(b.info)
			if len(fields) < 2 || fields[0] != "go" || !slices.Contains(fields[1:], "compile") {
				continue
			}
			where := fmt.Sprintf("%s:%d", rel, b.line)
			if _, err := parser.ParseFile(token.NewFileSet(), "block.go", b.text, parser.PackageClauseOnly); err != nil {
				assert.Fail(t, where+`: a "go compile" block must be a whole Go file, starting with its package clause`, "%v (%s)", err, rule)
				continue
			}
			dir := filepath.Join(tmpRel, fmt.Sprintf("b%03d", len(sources)))
			require.NoError(t, os.Mkdir(filepath.Join(root, dir), 0o755))
			require.NoError(t, os.WriteFile(filepath.Join(root, dir, "block.go"), []byte(b.text), 0o644))
			sources = append(sources, source{dir: dir, where: where})
		}
	}
	t.Logf("%d Go blocks marked compile", len(sources))
	if len(sources) == 0 {
		return
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go command is not on the PATH; the code blocks were not compiled")
	}
	// Name each block by its page and line in the go command's output.
	explain := func(out []byte) string {
		s := string(out)
		for _, src := range sources {
			s = strings.ReplaceAll(s, filepath.ToSlash(src.dir)+"/block.go", src.where+" (block)")
			s = strings.ReplaceAll(s, src.dir+string(filepath.Separator)+"block.go", src.where+" (block)")
			s = strings.ReplaceAll(s, filepath.ToSlash(src.dir), src.where+" (block)")
		}
		return s
	}
	bin := filepath.Join(tmp, "bin") + string(filepath.Separator) // executables go here, not into the tree
	for _, step := range [][]string{{"build", "-o", bin}, {"vet"}} {
		args := step
		for _, src := range sources {
			args = append(args, "./"+filepath.ToSlash(src.dir))
		}
		cmd := exec.Command(goTool, args...)
		cmd.Dir = root
		out, err := cmd.CombinedOutput()
		assert.NoError(t, err, "go %s of the docs' \"go compile\" blocks failed:\n%s\n(%s)", step[0], explain(out), rule)
	}
}

// firstLine returns the first non-blank line of the page rel.
func firstLine(t *testing.T, root, rel string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(rel)))
	require.NoError(t, err)
	for _, line := range strings.Split(string(data), "\n") {
		if strings.TrimSpace(line) != "" {
			return line
		}
	}
	return ""
}

// studentPages are the English pages in docs/ written for students; each has
// a Chinese edition of the same name in docs/zh/.
var studentPages = []string{"README.md", "concepts.md", "labrpc.md", "part-a-viewservice.md", "part-b-pbservice.md", "debugging.md", "submitting.md"}

// TestChineseEditions checks that each Chinese page has its English page and
// links back to it on its first line, and that each student-facing English
// page has a Chinese edition and links to it on its first line.
func TestChineseEditions(t *testing.T) {
	root := moduleRoot(t)
	zh, err := filepath.Glob(filepath.Join(root, "docs", "zh", "*.md"))
	require.NoError(t, err)
	for _, p := range zh {
		name := filepath.Base(p)
		_, err := os.Stat(filepath.Join(root, "docs", name))
		assert.NoError(t, err, "docs/zh/%s has no English page docs/%s (%s)", name, name, rule)
		assert.Contains(t, firstLine(t, root, "docs/zh/"+name), "](../"+name+")",
			"docs/zh/%s must start with a link to its English page, [English](../%s) (%s)", name, name, rule)
	}
	for _, name := range studentPages {
		if _, err := os.Stat(filepath.Join(root, "docs", name)); err != nil {
			assert.Fail(t, "docs/"+name+" is missing", rule)
			continue
		}
		_, err := os.Stat(filepath.Join(root, "docs", "zh", name))
		assert.NoError(t, err, "docs/%s has no Chinese edition docs/zh/%s (%s)", name, name, rule)
		assert.Contains(t, firstLine(t, root, "docs/"+name), "](zh/"+name+")",
			"docs/%s must start with a link to its Chinese edition, [中文版](zh/%s) (%s)", name, name, rule)
	}
}

// TestMermaidSequenceText checks the Mermaid sequence diagrams of the guide
// for the one mistake GitHub renders as an error box instead of a figure:
// in a sequenceDiagram, message and note text ends at ';' or '#', so
// whatever follows is parsed as a statement of its own and breaks the whole
// diagram.
func TestMermaidSequenceText(t *testing.T) {
	root := moduleRoot(t)
	diagrams := 0
	for _, rel := range guidePages(t, root) {
		for _, b := range readPage(t, root, rel).blocks {
			lines := strings.Split(b.text, "\n")
			if b.info != "mermaid" || len(lines) == 0 || strings.TrimSpace(lines[0]) != "sequenceDiagram" {
				continue
			}
			diagrams++
			for i, line := range lines {
				text := strings.TrimSpace(line)
				if strings.HasPrefix(text, "%%") {
					continue // a comment
				}
				assert.False(t, strings.ContainsAny(text, ";#"),
					"%s:%d: %q: in a Mermaid sequence diagram, text ends at ';' or '#', which breaks the diagram; write ',' or 'no.' instead (%s)",
					rel, b.line+1+i, text, rule)
			}
		}
	}
	t.Logf("checked %d sequence diagrams", diagrams)
}
