// Package rubric is the lab's grading rubric: which files are the student's,
// which tests are graded, in which part, for how many points. The grader
// (go run ./grading) scores by it, the handout generator checks the
// student's files against it, and its own tests check it against the tests'
// sources, so that the rubric and the tests never disagree.
//
// To change the rubric, edit the tables in parta.go and partb.go, and the
// parts' points in Parts. Every graded test must exist, names must be
// unique across packages, each part's tests must add up to its points, and
// the parts to Total; rubric_test.go checks them all.
//
// A test can be hidden (Test.Hidden): its source lives in a file whose name
// ends in HiddenTestSuffix, which the handout leaves out, so students
// never see it; it is graded only where the official tree is (-submission,
// Gradescope), and Gradescope shows its result when Hidden says.
package rubric

import "slices"

// A Test is one graded test.
type Test struct {
	Part    string // "A" (viewservice) or "B" (pbservice)
	Package string // the package directory, such as "viewservice"
	Name    string // the test function, such as "TestFirstPrimary"
	Points  int
	// Doc is the section of docs/ that makes the test pass, such as
	// "docs/part-a-viewservice.md#step-1-the-first-primary".
	Doc string
	// Hidden, if set, keeps the test out of the student handout, and says
	// when Gradescope shows its result to the students. A hidden test is
	// declared in a file whose name ends in HiddenTestSuffix.
	Hidden Visibility
}

// Visibility is when students see a hidden test's result on Gradescope:
// the "visibility" of the test in results.json.
type Visibility string

// The visibilities of a hidden test.
const (
	AfterDueDate   Visibility = "after_due_date"  // once the due date (the late one, if any) has passed
	AfterPublished Visibility = "after_published" // once the grades are published
	NeverShown     Visibility = "hidden"          // never: only the course staff see it
)

// HiddenTestSuffix ends the name of every test file that declares hidden
// tests, such as pbservice/crash_hidden_test.go. The handout leaves these
// files out; everything else in the tree goes to the students.
const HiddenTestSuffix = "_hidden_test.go"

// Visibilities lists the visibilities a hidden test may have.
var Visibilities = []Visibility{AfterDueDate, AfterPublished, NeverShown}

// Total is what the points of all parts add up to.
const Total = 100

// A Part is one part of the lab.
type Part struct {
	ID     string // the letter a Test's Part holds: "A"
	Name   string // "Part A: the view service"
	Points int    // what its tests add up to
}

// Parts lists the parts of the lab, in order. Their points are the split of
// the grade between the parts: change it here, and the tests' points in
// parta.go and partb.go to match.
var Parts = []Part{
	{ID: "A", Name: "Part A: the view service", Points: 30},
	{ID: "B", Name: "Part B: the primary/backup key/value service", Points: 70},
}

// PartName returns the name of the part whose ID is id, and whether there
// is such a part.
func PartName(id string) (string, bool) {
	i := slices.IndexFunc(Parts, func(p Part) bool { return p.ID == id })
	if i < 0 {
		return "", false
	}
	return Parts[i].Name, true
}

// StudentFiles are the files a student writes, slash-separated and relative
// to the root of the tree. They are the only files that hold solution
// regions: the handout strips those regions, and a graded submission keeps
// its own version of them (and of any file it adds to a graded package),
// while every other given file is replaced by the official one.
var StudentFiles = []string{
	"viewservice/server.go",
	"pbservice/server.go",
	"pbservice/client.go",
	"pbservice/common.go",
}

// StandardImports are the packages of the standard library that a
// student's file may import: what a solution needs, and nothing that
// reaches the process, the file system, the network or memory outside Go's
// rules. docs/instructors.md and the student's guide print the list
// (internal/doccheck holds them to it); the grader's -allow-import flag
// widens it for one grading.
var StandardImports = []string{
	"cmp",
	"container/heap",
	"container/list",
	"container/ring",
	"crypto/rand",
	"errors",
	"fmt",
	"iter",
	"log",
	"maps",
	"math",
	"math/big",
	"math/rand",
	"math/rand/v2",
	"slices",
	"sort",
	"strconv",
	"strings",
	"sync",
	"sync/atomic",
	"time",
}

// LabImports lists, for each folder of student files, the lab's packages
// those files may import: the packages their part builds on. No student
// file may import pblab/internal/...: the test harness and the grader's
// seams live there.
var LabImports = map[string][]string{
	"viewservice": {"pblab/labrpc", "pblab/labsync"},
	"pbservice":   {"pblab/labrpc", "pblab/labsync", "pblab/viewservice"},
}

// AllowedImports returns the packages a student's file in the folder dir
// (such as "pbservice") may import: StandardImports, then LabImports[dir].
func AllowedImports(dir string) []string {
	return append(slices.Clone(StandardImports), LabImports[dir]...)
}

// Tests returns every graded test, Part A first.
func Tests() []Test {
	return append(append([]Test(nil), partA...), partB...)
}

// Shown returns the tests of tests that are not hidden: those the handout
// holds.
func Shown(tests []Test) []Test {
	var shown []Test
	for _, t := range tests {
		if t.Hidden == "" {
			shown = append(shown, t)
		}
	}
	return shown
}

// Packages returns the packages of tests, in order of first appearance:
// Packages(Tests()) lists the packages whose tests are graded.
func Packages(tests []Test) []string {
	var pkgs []string
	for _, t := range tests {
		if !slices.Contains(pkgs, t.Package) {
			pkgs = append(pkgs, t.Package)
		}
	}
	return pkgs
}

// Find returns the graded test called name.
func Find(name string) (Test, bool) {
	for _, t := range Tests() {
		if t.Name == name {
			return t, true
		}
	}
	return Test{}, false
}
