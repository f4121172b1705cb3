// Package doccheck holds the test that keeps the lab guide honest. It has no
// code of its own; run it with
//
//	go test ./internal/doccheck
//
// It also runs under go test -race ./..., and needs no network. It checks
// ten things.
//
// Links. Every relative link in README.md and in docs/**/*.md, inline
// ([text](path)) or as a reference definition ([label]: path), names a file
// or directory that exists. A link with a #fragment into a .md file (or a
// bare #fragment within the same page) names a heading of that page, slugged
// the way GitHub does it: lower case, punctuation other than '-' and '_'
// removed, each space turned into '-', and "-1", "-2", ... added to repeated
// headings. An explicit <a id="..."></a> or <a name="..."></a> counts as a
// heading too. Links to absolute URLs (https:, mailto:) and links inside
// code are not checked.
//
// Doc anchors in code. Every "docs/<page>.md#<anchor>" written in a Go file
// of the module (test failure messages, the rubric's Doc fields) names an
// existing page and heading, so that a failing test never sends a student
// to a section that is not there.
//
// Code. A fenced Go block in docs/ whose info string is "go compile" claims
// to compile:
//
//	```go compile
//	package main
//
//	import "pblab/viewservice"
//
//	func main() { _ = viewservice.PingInterval }
//	```
//
// Such a block must be a complete Go source file (it starts with a package
// clause). Each one is written into its own directory inside the module, so
// it may import pblab's packages and the module's dependencies, and must pass
// go build and go vet. GitHub highlights it as Go like any other block.
// Blocks marked plain "go" are excerpts and are not compiled. The code check
// is skipped if the go command is not on the PATH.
//
// Chinese editions. Each page of docs/zh/ has an English page of the same
// name in docs/ and starts with a link back to it ([English](../name.md));
// each student-facing English page (README, concepts, labrpc, Part A,
// Part B, debugging) has a Chinese edition and starts with a link to it
// ([中文版](zh/name.md)).
//
// The student's files. The README's layout table names, in its "a student
// edits" column, exactly the files of each folder that the rubric counts as
// the student's (rubric.StudentFiles).
//
// The allowed imports. The instructor guide and the student's guide (in each
// language) print the imports a student's file may have as a two-column
// table: one row for the standard library (its first cell names no folder)
// and one per folder of student files (its first cell is the folder as
// code, `pbservice/`), each listing import paths as code. They are exactly
// the rubric's (rubric.StandardImports, rubric.LabImports).
//
// The Specification boxes. Each Part's page (docs/part-a-viewservice.md,
// docs/part-b-pbservice.md) opens with its rules numbered A1, A2, ... (B1,
// ...), each with an anchor <a id="a1"></a>, numbered with no gap. Every
// rule{...} value in the tests of the Part's package (viewservice,
// pbservice) gives, as its first element or id field, a string literal
// naming a rule of that box, and every rule of the box is cited by at
// least one of them: a failure message always names a rule the page states,
// and the page states no rule that no test checks.
//
// The Part pages in Chinese. docs/zh/part-*.md carry every anchor of their
// English page (an <a id> beside each heading and rule), so that the links
// of the tests and the rubric work in either edition.
//
// The tables of tests. Each Part's page, in each language, has a table with
// a row per section that makes tests pass, | [step](#anchor) | `TestA` (1),
// `TestB` (2) |, listing exactly the rubric's tests of the part, in the
// rubric's order, each under the section its Doc names, with its points.
//
// Mermaid sequence diagrams. In a sequenceDiagram, message and note text
// ends at ';' or '#': what follows is parsed as a statement of its own, and
// GitHub shows a syntax error instead of the figure. No line of a sequence
// diagram may hold either character.
//
// The test does not use labtest.Run: it runs no servers and no network, and
// it waits on go build, which virtual time must not watch.
package doccheck
