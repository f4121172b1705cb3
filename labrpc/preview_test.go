package labrpc

import (
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// The journal renders a message as %+v would, without its unexported
// fields, which the handler never sees.
func TestPreview(t *testing.T) {
	type inner struct{ V int }
	tests := []struct {
		name string
		v    any
		want string
	}{
		{"exported fields", struct{ A, B int }{1, 2}, "{A:1 B:2}"},
		{"unexported first field", struct {
			a int
			B int
		}{1, 2}, "{B:2}"},
		{"unexported fields between", struct {
			A int
			b int
			c string
			D string
		}{1, 2, "x", "y"}, `{A:1 D:"y"}`},
		{"only unexported fields", struct{ a, b int }{1, 2}, "{}"},
		{"nested and nil pointers", struct {
			P, Q *inner
			M    map[string]int
		}{P: &inner{V: 3}, M: map[string]int{"k": 4}}, "{P:{V:3} Q:nil M:map[1]{\"k\":4}}"},
		{"bytes and slices", struct {
			B  []byte
			Xs []int
		}{[]byte("abc"), []int{5, 6}}, "{B:[3 bytes] Xs:[2]{5 6}}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, preview(reflect.ValueOf(tt.v)),
				"the journal shows a message's exported fields, one space between them (docs/labrpc.md#reading-the-journal)")
		})
	}
}

// A long message is cut short at about previewLimit bytes.
func TestPreviewCutsLongMessages(t *testing.T) {
	long := struct{ S, T string }{strings.Repeat("x", 500), "y"}
	got := preview(reflect.ValueOf(long))
	assert.True(t, strings.HasSuffix(got, "…"), "a cut preview ends in an ellipsis: %q (docs/labrpc.md#reading-the-journal)", got)
	assert.LessOrEqual(t, len(got), previewLimit+len("…"), "a preview is at most previewLimit bytes and an ellipsis (docs/labrpc.md#reading-the-journal)")
}
