// Package doccheck holds the test that keeps the lab guide honest. It has no
// code of its own; run it with
//
//	go test ./internal/doccheck
//
// It also runs under go test -race ./..., and needs no network. It checks
// thirteen things.
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
// The handout's pages. No page the student handout holds (every page of
// docs/ but handout.InstructorPages, and README.student.md, the handout's
// README) links to or names a page the handout leaves out: a student would
// follow it to nothing.
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
// Samples. A block of output on a page is a sample when the line right
// before its opening fence names the command that prints it, in one of
// three forms:
//
//	<!-- sample: COMMAND -->                  run from the repository root
//	<!-- sample: handout: COMMAND -->         run in the student handout of this tree
//	<!-- sample: mutant NAME: COMMAND -->     run from the root with the bug NAME applied
//
// COMMAND is run by sh, with none of the lab's environment variables but
// those it sets itself, and PBLAB_ARTIFACTS set to a fresh folder (a
// command may read the artifacts it wrote there). The handout is written
// with internal/handout (without its checks) into a folder of the user's
// cache named after its contents, so that a second run finds it, and the go
// command's build cache with it. A mutant NAME is grading/mutants/NAME.mutant
// (the grader's known bugs) or internal/doccheck/testdata/NAME.mutant (bugs
// only the docs show), applied through GOFLAGS=-overlay, so the tree is
// never touched. Each distinct command runs once, however many pages show
// it; what it prints to standard output and standard error together, and
// not its exit status, is compared with the block. Every block of output
// (info string "text", or none) on a student page, in either language,
// must be a sample.
//
// Before they are compared, the block and the output are normalised line by
// line: the folders of an absolute path are dropped (its file name stays);
// hexadecimal numbers become 0x<hex>; dates and clock times become <date>
// and <time>; durations (1.5s, 100ms, 2m0s) and go test's "(cached)" become
// <duration>; the line number after ".go:" or ".s:" becomes <line>; the
// number of a goroutine becomes <n>; a message size "(31 B)" becomes
// "(<n> B)"; any other number of five digits or more (seeds, client ids)
// becomes <n>; runs of spaces and tabs become one space; blank lines are
// dropped. Then the block must occur in the output: its lines on
// consecutive lines of the output, starting anywhere, except that a line
// "..." stands for any number of lines left out, and "..." within a line for
// any text. The samples take a minute or two with a warm build cache; -short
// skips them, and so does a tree without solution regions (a handout, or a
// student's tree), where the commands would not print the reference's
// output.
//
// Translations. Each heading of a page of docs/zh/ is preceded, on the line
// before, by the marker of the English section it translates:
//
//	<a id="the-ack-rule"></a><!-- en: 1a2b3c4d -->
//
// The id is the English section's anchor, which also makes the English
// anchor work on the Chinese page; the hash is the first 8 hex digits of the
// SHA-256 of the English section's text (its heading and the lines under it,
// up to the next heading of any level, every run of white space made one
// space) when it was translated. The check fails for a heading without a
// marker, a marker that names no English section or one translated twice,
// an English section with no translation, and an English section whose text
// no longer has the marker's hash: the translation is behind, and the
// message gives the marker to set once it is brought up to date.
//
// The test does not use labtest.Run: it runs no servers and no network, and
// it waits on go build, which virtual time must not watch.
package doccheck
