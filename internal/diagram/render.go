package diagram

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"strings"
)

// The page is one HTML file with its style sheet, script and data inline,
// so that it opens from disk with no network access.
var (
	//go:embed diagram.html
	diagramHTML string
	//go:embed diagram.css
	diagramCSS string
	//go:embed diagram.js
	diagramJS string
)

// render writes the page for d to w.
func render(w io.Writer, d data) error {
	title := fmt.Sprintf("%s (seed %d) · pblab message diagram", d.Test, d.Seed)
	page := strings.NewReplacer("{{TITLE}}", html.EscapeString(title), "{{CSS}}", diagramCSS, "{{JS}}", diagramJS).Replace(diagramHTML)
	before, after, ok := strings.Cut(page, "{{DATA}}")
	if !ok {
		return fmt.Errorf("diagram: the template has no data slot")
	}
	if _, err := io.WriteString(w, before); err != nil {
		return err
	}
	// Encode escapes <, > and &, so no string in the data can end the
	// script element it sits in.
	enc := json.NewEncoder(w)
	if err := enc.Encode(d); err != nil {
		return err
	}
	_, err := io.WriteString(w, after)
	return err
}
