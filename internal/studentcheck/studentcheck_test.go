package studentcheck

// These tests check sources held in strings, and the lab's own student
// files: no server, network or clock, so they do not run in the test
// harness.

import (
	"cmp"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"pblab/internal/labenv"
	"pblab/internal/rubric"
)

// TestCheck checks each rule on a small file: the violations found, as
// file:line: rule, each rule given by a phrase its text must hold.
func TestCheck(t *testing.T) {
	for _, c := range []struct {
		name string
		file string // the student's file the source is checked as; pbservice/server.go if ""
		src  string
		want []string // "line: phrase" for each violation, in order
	}{
		{name: "a clean file", src: `package pbservice

import (
	"fmt"
	"math/rand/v2"
	"sync"

	"pblab/labrpc"
	"pblab/viewservice"
)

const retries = 3

type PBServer struct {
	mu  sync.Mutex
	end *labrpc.ClientEnd
	vs  *viewservice.Clerk
}

func (pb *PBServer) init() { fmt.Println(rand.IntN(retries)) }

func (pb *PBServer) handle(log map[string]int) {
	log["x"]++
	var local int
	local++
	_ = local
}
`},
		{name: "func init", src: "package pbservice\n\nfunc init() {}\n",
			want: []string{"3: func init is not allowed"}},
		{name: "package-level variables", src: "package pbservice\n\nvar store = map[string]string{}\n\nvar (\n\t_ = setup()\n\ta, b int\n)\n\nfunc setup() int { return 0 }\n",
			want: []string{"3: package-level variable store is not allowed", "6: package-level variable _ is not allowed", "7: package-level variable a, b is not allowed"}},
		{name: "compiler directives", src: "//go:build linux\n// +build linux\n\npackage pbservice\n\nimport _ \"unsafe\"\n\n//go:linkname now runtime.nanotime\nfunc now() int64\n\n//line other.go:1\nfunc f() {}\n",
			want: []string{"1: //go:build: compiler directives are not allowed", "2: // +build: build constraints are not allowed",
				`6: import "unsafe": not among the packages`, "8: //go:linkname: compiler directives are not allowed",
				"11: //line: line directives are not allowed"}},
		{name: "forbidden imports", src: "package pbservice\n\nimport (\n\t\"C\"\n\t\"os\"\n\t\"reflect\"\n\tx \"runtime/debug\"\n\t\"pblab/internal/faults\"\n\t\"pblab/internal/labtest\"\n)\n",
			want: []string{`4: import "C": cgo is not allowed`, `5: import "os": not among`, `6: import "reflect": not among`,
				`7: import "runtime/debug": not among`, `8: import "pblab/internal/faults": the lab's internal packages belong to the tests and the grader`,
				`9: import "pblab/internal/labtest": the lab's internal packages`}},
		{name: "a lab package the part does not build on", file: "viewservice/server.go", src: "package viewservice\n\nimport \"pblab/pbservice\"\n",
			want: []string{`3: import "pblab/pbservice": not among`}},
		{name: "a dot import", src: "package pbservice\n\nimport . \"fmt\"\n\nfunc f() { Println() }\n",
			want: []string{`3: import . "fmt": dot imports are not allowed`}},
		{name: "writes to another package's variables", src: `package pbservice

import (
	"errors"
	rnd "crypto/rand"
	"time"
)

type reader struct{}

func (reader) Read(p []byte) (int, error) { return len(p), nil }

func f(loc *time.Location) {
	time.Local = loc
	*time.UTC = *loc
	rnd.Reader = reader{}
	p := &errors.ErrUnsupported
	_ = p
	_ = time.Local
}
`,
			want: []string{"14: time.Local: changing another package's variables is not allowed", "15: time.UTC: changing",
				"16: rnd.Reader: changing", "17: errors.ErrUnsupported: changing"}},
		{name: "the standard logger's state", src: `package pbservice

import (
	"log"
	l2 "log"
)

func f() {
	log.Printf("fine")
	log.SetFlags(log.Lmicroseconds)
	w := log.Writer()
	_ = l2.Default()
	_ = log.Prefix() + string(rune(log.Flags()))
	_ = w
}
`,
			want: []string{"11: log.Writer is not allowed: the standard logger is shared", "12: l2.Default is not allowed",
				"13: log.Prefix is not allowed", "13: log.Flags is not allowed"}},
		{name: "the wrong package", src: "package main\n", want: []string{"1: package main: a file of pbservice/ must be in package pbservice"}},
		{name: "a syntax error", src: "package pbservice\n\nfunc f( {\n", want: []string{"3: syntax error: "}},
	} {
		t.Run(c.name, func(t *testing.T) {
			file := cmp.Or(c.file, "pbservice/server.go")
			found := Check(file, []byte(c.src), rubric.AllowedImports(path.Dir(file)))
			require.Len(t, found, len(c.want), "the violations found: %v", found)
			for i, want := range c.want {
				line, phrase, _ := strings.Cut(want, ": ")
				assert.Equal(t, line, strconv.Itoa(found[i].Line), "violation %d is on the line of the rule it breaks: %v", i, found[i])
				assert.Contains(t, found[i].Rule, phrase, "violation %d says which rule", i)
				if !strings.HasPrefix(phrase, "syntax error") {
					assert.Contains(t, found[i].Rule, Docs, "violation %d points at the guide", i)
				}
				assert.True(t, strings.HasPrefix(found[i].String(), found[i].File+":"+line+": "), "a violation prints as file:line: rule")
			}
		})
	}
}

// TestTheReferencePasses checks the lab's own student files, the model
// solution: they must pass every rule.
func TestTheReferencePasses(t *testing.T) {
	root, err := labenv.ModuleRoot(".")
	require.NoError(t, err)
	for _, rel := range rubric.StudentFiles {
		src, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(rel)))
		require.NoError(t, err)
		assert.Empty(t, Check(rel, src, rubric.AllowedImports(path.Dir(rel))), "the reference's %s breaks no rule", rel)
	}
}

func TestPackageName(t *testing.T) {
	for path, want := range map[string]string{
		"fmt": "fmt", "math/rand": "rand", "math/rand/v2": "rand", "pblab/labrpc": "labrpc", "v2": "v2", "x/vv": "vv",
	} {
		assert.Equal(t, want, packageName(path), "the name %s is known by", path)
	}
}
