// Package rubric is the lab's grading rubric: which files are the student's,
// which tests are graded, in which part, for how many points. The grader
// (go run ./grading) scores by it, the handout generator checks the
// student's files against it, and its own tests check it against the tests'
// sources, so that the rubric and the tests never disagree.
//
// To change the rubric, edit the tables in parta.go and partb.go. Every
// graded test must exist, names must be unique across packages, and the
// points of all parts must add up to 100; rubric_test.go checks all three.
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
}

// A Part is one part of the lab.
type Part struct {
	ID   string // the letter a Test's Part holds: "A"
	Name string // "Part A: the view service"
}

// Parts lists the parts of the lab, in order.
var Parts = []Part{
	{ID: "A", Name: "Part A: the view service"},
	{ID: "B", Name: "Part B: the primary/backup key/value service"},
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
