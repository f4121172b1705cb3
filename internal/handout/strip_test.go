package handout

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// src joins lines into a file. The markers are spelled out through B, E and
// S so that this file holds no marker line itself.
func src(lines ...string) string {
	r := strings.NewReplacer("<B>", beginMarker, "<E>", endMarker, "<S>", stubPrefix)
	return r.Replace(strings.Join(lines, "\n")) + "\n"
}

func TestStripSolution(t *testing.T) {
	cases := []struct {
		name    string
		in      string
		want    string
		regions int
	}{
		{
			name: "no regions: unchanged",
			in:   src("package p", "", "func f() {}"),
			want: src("package p", "", "func f() {}"),
		},
		{
			name: "function body with a stub",
			in: src("package p", "",
				"// Get returns the value.",
				"func Get() string {",
				"\t<B>",
				"\treturn \"real\"",
				"\t<E>",
				"\t<S> return \"\"",
				"}"),
			want: src("package p", "",
				"// Get returns the value.",
				"func Get() string {",
				"\t// Your code here.",
				"\treturn \"\"",
				"}"),
			regions: 1,
		},
		{
			name: "region before code that stays",
			in: src("package p", "",
				"func Ping(x *int) error {",
				"\t<B>",
				"\t*x++",
				"\t<E>",
				"\treturn nil",
				"}"),
			want: src("package p", "",
				"func Ping(x *int) error {",
				"\t// Your code here.",
				"\treturn nil",
				"}"),
			regions: 1,
		},
		{
			name: "struct fields and a top-level declaration, blank lines collapsed, unused imports removed",
			in: src("package p", "",
				"import (",
				"\t\"fmt\"",
				"\t\"sort\"",
				"\t\"sync\"",
				"",
				"\t\"pblab/labrpc\"",
				")", "",
				"type S struct {",
				"\tmu sync.Mutex",
				"",
				"\t<B>",
				"\tnames []string",
				"\tnet   *labrpc.Network",
				"\t<E>",
				"}", "",
				"<B>", "",
				"// sorted returns the names, sorted.",
				"func (s *S) sorted() []string {",
				"\tsort.Strings(s.names)",
				"\treturn s.names",
				"}", "",
				"<E>", "",
				"// String describes s.",
				"func (s *S) String() string { return fmt.Sprint(\"S\") }"),
			want: src("package p", "",
				"import (",
				"\t\"fmt\"",
				"\t\"sync\"",
				")", "",
				"type S struct {",
				"\tmu sync.Mutex",
				"",
				"\t// Your code here.",
				"}", "",
				"// Your code here.", "",
				"// String describes s.",
				"func (s *S) String() string { return fmt.Sprint(\"S\") }"),
			regions: 2,
		},
		{
			name: "the only import becomes unused",
			in: src("package p", "", "import \"time\"", "",
				"func f() {",
				"\t<B>",
				"\ttime.Sleep(time.Second)",
				"\t<E>",
				"}"),
			want:    src("package p", "", "func f() {", "\t// Your code here.", "}"),
			regions: 1,
		},
		{
			name: "blank and named imports",
			in: src("package p", "", "import (",
				"\t_ \"embed\"",
				"\tstr \"strings\"",
				"\tv3 \"example.com/yaml/v3\"",
				")", "",
				"func f() string {",
				"\t<B>",
				"\treturn str.ToUpper(\"x\")",
				"\t<E>",
				"\t<S> return v3.Name",
				"}"),
			want: src("package p", "", "import (",
				"\t_ \"embed\"",
				"\tv3 \"example.com/yaml/v3\"",
				")", "",
				"func f() string {",
				"\t// Your code here.",
				"\treturn v3.Name",
				"}"),
			regions: 1,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, n, err := stripSolution("p.go", []byte(c.in))
			require.NoError(t, err)
			assert.Equal(t, c.regions, n, "regions found")
			assert.Equal(t, c.want, string(out))
			assert.False(t, hasMarkerLine(out), "no marker survives")
			assert.NotContains(t, string(out), "\n\n\n", "no double blank line")
		})
	}
}

func TestStripSolutionErrors(t *testing.T) {
	cases := []struct {
		name string
		in   string
		want string // the error, after "p.go:"
	}{
		{"unclosed", src("package p", "func f() {", "\t<B>", "\tx()", "}"),
			"3: BEGIN SOLUTION is never closed"},
		{"end without begin", src("package p", "func f() {", "\t<E>", "}"),
			"3: END SOLUTION without a BEGIN SOLUTION"},
		{"nested", src("package p", "<B>", "func f() {", "\t<B>", "\t<E>", "}", "<E>"),
			"4: BEGIN SOLUTION inside the region opened at line 2"},
		{"misindented end", src("package p", "func f() {", "\t<B>", "<E>", "}"),
			"4: END SOLUTION is not indented like its BEGIN SOLUTION at line 3"},
		{"stub not after end", src("package p", "func f() int {", "\t<S> return 0", "}"),
			"3: STUB must come directly after an END SOLUTION line"},
		{"stub after a blank line", src("package p", "func f() int {", "\t<B>", "\treturn 1", "\t<E>", "", "\t<S> return 0", "}"),
			"7: STUB must come directly after"},
		{"stub is not a statement", src("package p", "func f() int {", "\t<B>", "\treturn 1", "\t<E>", "\t<S> return 0 +", "}"),
			"6: STUB \"return 0 +\" does not parse as a Go statement"},
		{"two statements", src("package p", "func f() int {", "\t<B>", "\treturn 1", "\t<E>", "\t<S> x := 1; return x", "}"),
			"6: STUB \"x := 1; return x\" must be exactly one Go statement"},
		{"empty stub", src("package p", "func f() {", "\t<B>", "\t<E>", "\t<S>", "}"),
			"5: empty STUB"},
		{"top-level stub", src("package p", "<B>", "func f() {}", "<E>", "<S> return nil"),
			"5: STUB after a top-level region"},
		{"loose marker", src("package p", "func f() {", "\t//BEGIN SOLUTION", "}"),
			"3: malformed marker"},
		{"lower-case marker", src("package p", "func f() {", "\t// end solution", "}"),
			"3: malformed marker"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := stripSolution("p.go", []byte(c.in))
			require.Error(t, err)
			assert.True(t, strings.HasPrefix(err.Error(), "p.go:"+c.want), "got %q, want p.go:%s...", err, c.want)
		})
	}
}

func TestGuessPackageName(t *testing.T) {
	for path, want := range map[string]string{
		"fmt": "fmt", "sync/atomic": "atomic", "pblab/labrpc": "labrpc",
		"github.com/stretchr/testify/require": "require", "example.com/yaml/v3": "yaml",
		"gopkg.in/yaml.v3": "yaml", "github.com/x/go-cmp": "cmp",
	} {
		assert.Equal(t, want, guessPackageName(path), path)
	}
}
