package doccheck

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A section is a heading of a page and the text under it, up to the next
// heading of any level.
type section struct {
	line    int    // the heading's line
	slug    string // its anchor, numbered as GitHub numbers repeated headings
	heading string // the heading's line, as written
	marker  string // the line before the heading, trimmed
	text    string // the heading's line and the lines under it
}

// translationMarkerRE matches the marker that stands on the line before
// each heading of a Chinese page: the anchor of the English section it
// translates, which also makes the English anchor work on the Chinese page,
// and the hash of that English section's text when it was translated.
var translationMarkerRE = regexp.MustCompile(`^<a id="([^"]+)"></a><!-- en: ([0-9a-f]+) -->$`)

// sections splits a page into its sections. Lines in code blocks are never
// headings.
func sections(text string) []section {
	var out []section
	var f fences
	prev := ""
	for i, line := range strings.Split(text, "\n") {
		kind, _ := f.step(line)
		if kind == textLine {
			if m := headingRE.FindStringSubmatch(line); m != nil {
				out = append(out, section{line: i + 1, slug: Slug(m[1]), heading: strings.TrimSpace(line), marker: prev})
				prev = strings.TrimSpace(line)
				continue
			}
			prev = strings.TrimSpace(line)
		}
		if len(out) > 0 {
			out[len(out)-1].text += line + "\n"
		}
	}
	seen := map[string]int{}
	for i := range out {
		s := &out[i]
		s.text = s.heading + "\n" + s.text
		if k := seen[s.slug]; k > 0 {
			seen[s.slug]++
			s.slug = fmt.Sprintf("%s-%d", s.slug, k)
		} else {
			seen[s.slug]++
		}
	}
	return out
}

// sectionHash returns the hash a translation marker records of an English
// section: its text with every run of white space made one space, so that
// reflowing a paragraph changes nothing.
func sectionHash(text string) string {
	sum := sha256.Sum256([]byte(strings.Join(strings.Fields(text), " ")))
	return hex.EncodeToString(sum[:])[:8]
}

// translationMarker returns the marker a Chinese section that translates
// the English section s carries.
func translationMarker(s section) string {
	return fmt.Sprintf(`<a id="%s"></a><!-- en: %s -->`, s.slug, sectionHash(s.text))
}

// TestTranslationsAreCurrent checks that each Chinese page translates its
// English page section by section, and that no English section has changed
// since its translation: every heading of docs/zh/NAME.md carries, on the
// line before, the marker of the English section of docs/NAME.md it
// translates, with the hash of that section's text as it was translated.
func TestTranslationsAreCurrent(t *testing.T) {
	root := moduleRoot(t)
	zh, err := filepath.Glob(filepath.Join(root, "docs", "zh", "*.md"))
	require.NoError(t, err)
	checked := 0
	for _, p := range zh {
		name := filepath.Base(p)
		english, err := os.ReadFile(filepath.Join(root, "docs", name))
		if err != nil {
			continue // TestChineseEditions reports it
		}
		chinese, err := os.ReadFile(p)
		require.NoError(t, err)
		checked += checkTranslation(t, "docs/"+name, sections(string(english)), "docs/zh/"+name, sections(string(chinese)))
	}
	t.Logf("%d sections of %d Chinese pages are translations of the current English", checked, len(zh))
}

// checkTranslation checks the sections zh of the Chinese page zhRel against
// the sections en of the English page enRel, and returns how many are
// current.
func checkTranslation(t *testing.T, enRel string, en []section, zhRel string, zh []section) int {
	t.Helper()
	bySlug := map[string]section{}
	for _, s := range en {
		bySlug[s.slug] = s
	}
	translated := map[string]int{} // English slug -> the line of the Chinese section translating it
	current := 0
	for i, s := range zh {
		where := fmt.Sprintf("%s:%d: %q", zhRel, s.line, s.heading)
		m := translationMarkerRE.FindStringSubmatch(s.marker)
		if m == nil {
			hint := ""
			if i < len(en) {
				hint = fmt.Sprintf(" (the English section in the same place is %s#%s: %s)", enRel, en[i].slug, translationMarker(en[i]))
			}
			assert.Fail(t, where+": the line before a heading of a Chinese page names the English section it translates: "+
				`<a id="ANCHOR"></a><!-- en: HASH -->`+hint, translationRule)
			continue
		}
		slug, hash := m[1], m[2]
		orig, ok := bySlug[slug]
		if !ok {
			assert.Fail(t, fmt.Sprintf("%s: it translates %s#%s, which is no section of the English page", where, enRel, slug), translationRule)
			continue
		}
		if line, dup := translated[slug]; dup {
			assert.Fail(t, fmt.Sprintf("%s: %s#%s is translated already, at line %d", where, enRel, slug, line), translationRule)
			continue
		}
		translated[slug] = s.line
		if now := sectionHash(orig.text); now != hash {
			assert.Fail(t, fmt.Sprintf("%s: the English section it translates, %s:%d (#%s), has changed since it was translated: "+
				"bring the translation up to date, then set its marker to %s", where, enRel, orig.line, slug, translationMarker(orig)), translationRule)
			continue
		}
		current++
	}
	for _, s := range en {
		if _, ok := translated[s.slug]; !ok {
			assert.Fail(t, fmt.Sprintf("%s:%d: the section %q has no translation in %s: translate it, under a heading with the marker %s",
				enRel, s.line, s.heading, zhRel, translationMarker(s)), translationRule)
		}
	}
	return current
}

// translationRule names where the translation markers are explained.
const translationRule = "see \"The Chinese edition\" in the maintainers' notes of docs/README.md"

func TestSections(t *testing.T) {
	page := "[中文版](zh/x.md)\n\n# Title\n\nIntro.\n\n## Step 1\n\n```sh\n# not a heading\n```\n\n" +
		"<a id=\"x\"></a><!-- en: 0123abcd -->\n## Step 1\ntext\n"
	got := sections(page)
	require.Len(t, got, 3)
	assert.Equal(t, []string{"title", "step-1", "step-1-1"}, []string{got[0].slug, got[1].slug, got[2].slug},
		"repeated headings are numbered as GitHub numbers them")
	assert.Equal(t, "## Step 1\n\n```sh\n# not a heading\n```\n\n<a id=\"x\"></a><!-- en: 0123abcd -->\n", got[1].text,
		"a section runs to the next heading; a comment in a code block is no heading")
	assert.Equal(t, `<a id="x"></a><!-- en: 0123abcd -->`, got[2].marker, "the line before a heading is its marker")
	assert.Equal(t, sectionHash("## Step 1\ntext"), sectionHash("## Step 1\n  text\n\n"), "reflowing a section keeps its hash")
	assert.NotEqual(t, sectionHash("## Step 1\ntext"), sectionHash("## Step 1\ntext, changed"), "a changed section has another hash")
}
