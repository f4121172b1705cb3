// Command grading grades the lab and writes its student handout.
//
// Run it from anywhere inside the repository (or a student's tree):
//
//	go run ./grading                      grade this tree: every graded test, race detector on
//	go run ./grading -part A -n 10        Part A only, each test ten times
//	go run ./grading -submission DIR      grade a student's tree with the official tests
//	go run ./grading handout -o DIR       write the student handout (instructors)
//	go run ./grading mutants              check that the tests catch known bugs (instructors)
//
// Grading runs each graded test of the rubric (pblab/internal/rubric) in its
// own process, so that a test that hangs, panics, exits or floods its output
// costs only itself. A test passes only if it passed in every iteration. The
// table at the end gives each test's passes/runs, time and points, and the
// full output of every failing run is kept under the results folder.
//
// The exit status is 0 whenever grading completed, whatever the score;
// -strict makes anything short of full marks exit 1 (for CI), and 2 means
// grading itself could not run.
//
// See docs/instructors.md for the whole guide.
package main

import "os"

func main() {
	var code int
	args := os.Args[1:]
	switch {
	case len(args) > 0 && args[0] == "handout":
		code = handoutMain(args[1:])
	case len(args) > 0 && args[0] == "mutants":
		code = mutantsMain(args[1:])
	case len(args) > 0 && args[0] == "help":
		code = gradeMain([]string{"-h"})
	default:
		code = gradeMain(args)
	}
	os.Exit(code)
}
