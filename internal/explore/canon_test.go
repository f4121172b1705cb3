package explore

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A state like a student's: unexported fields, maps, a pointer.
type sampleState struct {
	n     int
	names map[string]int
	seen  map[int64]bool
	next  *sampleState
	tags  []string
}

func TestFingerprintIgnoresMapOrder(t *testing.T) {
	a := &sampleState{n: 1, names: map[string]int{}, seen: map[int64]bool{}}
	b := &sampleState{n: 1, names: map[string]int{}, seen: map[int64]bool{}}
	for i, k := range []string{"s1", "s2", "s3", "s4", "s5"} {
		a.names[k] = i
		a.seen[int64(i)] = true
	}
	for i, k := range []string{"s5", "s4", "s3", "s2", "s1"} {
		b.names[k] = 4 - i
		b.seen[int64(4-i)] = true
	}
	assert.Equal(t, Fingerprint(a), Fingerprint(b), "two states with the same entries must have the same fingerprint, whatever order their maps were filled in")
}

func TestFingerprintSeesUnexportedFields(t *testing.T) {
	a := &sampleState{n: 1, tags: []string{"x"}}
	b := &sampleState{n: 2, tags: []string{"x"}}
	c := &sampleState{n: 1, tags: []string{"y"}}
	assert.NotEqual(t, Fingerprint(a), Fingerprint(b), "states that differ in an unexported int must differ")
	assert.NotEqual(t, Fingerprint(a), Fingerprint(c), "states that differ in a slice must differ")
	assert.Equal(t, Fingerprint(&sampleState{names: map[string]int{}}), Fingerprint(&sampleState{}),
		"a nil map and an empty map are the same state")
}

func TestFingerprintFollowsPointersAndCycles(t *testing.T) {
	a := &sampleState{n: 1, next: &sampleState{n: 2}}
	b := &sampleState{n: 1, next: &sampleState{n: 3}}
	assert.NotEqual(t, Fingerprint(a), Fingerprint(b), "the fingerprint must follow pointers")
	cyclic := &sampleState{n: 1}
	cyclic.next = cyclic
	require.NotPanics(t, func() { Fingerprint(cyclic) }, "a cyclic state must encode finitely")
	other := &sampleState{n: 1}
	other.next = other
	assert.Equal(t, Fingerprint(cyclic), Fingerprint(other), "two equal cyclic states have the same fingerprint")
}

func TestDeepCopyIsIndependent(t *testing.T) {
	shared := &sampleState{n: 9}
	orig := &sampleState{n: 1, names: map[string]int{"s1": 1}, tags: []string{"x"}, next: shared}
	orig.seen = map[int64]bool{7: true}
	cp := deepCopy(orig)
	require.Equal(t, Fingerprint(orig), Fingerprint(cp), "a copy must be equal to its original")
	cp.names["s2"] = 2
	cp.tags[0] = "y"
	cp.next.n = 10
	cp.n = 5
	assert.Equal(t, map[string]int{"s1": 1}, orig.names, "changing the copy's map must not change the original's")
	assert.Equal(t, []string{"x"}, orig.tags, "changing the copy's slice must not change the original's")
	assert.Equal(t, 9, shared.n, "changing what the copy points to must not change the original")
	assert.Equal(t, 1, orig.n)

	cyclic := &sampleState{n: 1}
	cyclic.next = cyclic
	cc := deepCopy(cyclic)
	assert.Same(t, cc, cc.next, "a cycle in the original is a cycle in the copy")
}
