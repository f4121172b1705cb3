package grader

import (
	"fmt"
	"regexp"
	"strings"

	"pblab/internal/rubric"
)

// Select returns the graded tests of the rubric that part ("" for every
// part) and run (a regular expression over test names, "" for all) select,
// in the rubric's order. It is an error if they select none. The errors
// name the grading command's flags, -part and -run.
func Select(part, run string) ([]rubric.Test, error) {
	var re *regexp.Regexp
	if run != "" {
		var err error
		if re, err = regexp.Compile(run); err != nil {
			return nil, fmt.Errorf("-run: %w", err)
		}
	}
	if part != "" {
		if _, ok := rubric.PartName(part); !ok {
			return nil, fmt.Errorf("-part %q: the parts are %s", part, partIDs())
		}
	}
	var tests []rubric.Test
	for _, t := range rubric.Tests() {
		if (part == "" || t.Part == part) && (re == nil || re.MatchString(t.Name)) {
			tests = append(tests, t)
		}
	}
	if len(tests) == 0 {
		if len(rubric.Tests()) == 0 {
			return nil, fmt.Errorf("the rubric (internal/rubric) lists no graded tests")
		}
		return nil, fmt.Errorf("no graded test matches -part %q -run %q", part, run)
	}
	return tests, nil
}

// partIDs lists the parts' IDs for a person: "A and B".
func partIDs() string {
	var ids []string
	for _, p := range rubric.Parts {
		ids = append(ids, p.ID)
	}
	if len(ids) < 2 {
		return strings.Join(ids, "")
	}
	return strings.Join(ids[:len(ids)-1], ", ") + " and " + ids[len(ids)-1]
}
