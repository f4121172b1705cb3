// Package rubric is the lab's grading rubric: which tests are graded, in
// which part, for how many points. The tests print it with their failures
// and the grader (go run ./grading) scores by it, so the two never disagree.
//
// To change the rubric, edit the tables in parta.go and partb.go. Every
// graded test must exist, names must be unique across packages, and the
// points of all parts must add up to 100; rubric_test.go checks all three.
package rubric

// A Test is one graded test.
type Test struct {
	Part    string // "A" (viewservice) or "B" (pbservice)
	Package string // the package directory, such as "viewservice"
	Name    string // the test function, such as "TestFirstPrimary"
	Points  int
	// Doc is where in docs/ the rule the test checks is explained, such as
	// "docs/part-a-viewservice.md#step-1-the-first-primary".
	Doc string
}

// Parts names the parts of the lab, in order.
var Parts = map[string]string{
	"A": "Part A: the view service",
	"B": "Part B: the primary/backup key/value service",
}

// Tests returns every graded test, Part A first.
func Tests() []Test {
	return append(append([]Test(nil), partA...), partB...)
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
