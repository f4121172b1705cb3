package batch

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"pblab/internal/grader"
	"pblab/internal/rubric"
)

// WriteGradebook writes the gradebook of the submissions subs to the CSV
// file path, from their results.json in jsonDir: a header row, then one row
// per student with the total, the points of each part and of each test of
// tests (in the rubric's order), and the notes on the submission. A
// student with no results.json gets a row with only their name and "not
// graded" in the notes. The file is written whole, then renamed into
// place.
func WriteGradebook(path, jsonDir string, subs []Submission, tests []rubric.Test) error {
	header := []string{"student", "total"}
	for _, p := range rubric.Parts {
		header = append(header, "Part "+p.ID)
	}
	for _, t := range tests {
		header = append(header, t.Name)
	}
	header = append(header, "notes")
	rows := [][]string{header}
	for _, s := range subs {
		rows = append(rows, gradebookRow(jsonDir, s, tests, len(header)))
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("batch: gradebook: %w", err)
	}
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return fmt.Errorf("batch: gradebook: %w", err)
	}
	w := csv.NewWriter(f)
	werr := w.WriteAll(rows)
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return fmt.Errorf("batch: gradebook: %w", werr)
	}
	return os.Rename(tmp, path)
}

// gradebookRow returns the gradebook's row of the submission s, width
// cells wide.
func gradebookRow(jsonDir string, s Submission, tests []rubric.Test, width int) []string {
	row := make([]string, width)
	row[0] = s.Student
	res, err := readResults(JSONPath(jsonDir, s.Student))
	if err != nil {
		row[width-1] = "not graded: " + err.Error()
		return row
	}
	scores := map[string]int{}
	for _, t := range res.Tests {
		scores[t.Name] = t.Score
	}
	parts := map[string]int{}
	for i, t := range tests {
		score := scores[grader.GradescopeName(t)]
		parts[t.Part] += score
		row[2+len(rubric.Parts)+i] = strconv.Itoa(score)
	}
	row[1] = strconv.Itoa(res.Score)
	for i, p := range rubric.Parts {
		row[2+i] = strconv.Itoa(parts[p.ID])
	}
	row[width-1] = oneLine(res.Output)
	return row
}

// oneLine joins the lines of text that are not blank with " | ".
func oneLine(text string) string {
	var lines []string
	for line := range strings.Lines(text) {
		if line = strings.TrimSpace(line); line != "" {
			lines = append(lines, line)
		}
	}
	return strings.Join(lines, " | ")
}

// readResults reads a results.json.
func readResults(path string) (*grader.GradescopeResults, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var res grader.GradescopeResults
	if err := json.Unmarshal(data, &res); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &res, nil
}
