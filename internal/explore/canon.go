package explore

import (
	"bytes"
	"encoding/binary"
	"hash/maphash"
	"math"
	"reflect"
	"slices"
)

// Canonical encodings of a student's state, for the exhaustive searches:
// two states with the same encoding are the same state, whatever order
// their maps were filled in and wherever their pointers point. The
// encoding is made by reflection, so it reads unexported fields too and
// needs nothing from the student's type.

// An encoder writes canonical encodings. It is not safe for concurrent use;
// reuse one for many states to spare allocations.
type encoder struct {
	buf  []byte
	path map[uintptr]int // the pointers being written, outermost first, by depth
}

func newEncoder() *encoder {
	return &encoder{path: map[uintptr]int{}}
}

// encode returns the canonical encoding of the value v points to, or of v
// itself if it is not a pointer. The result is valid until the next call.
func (e *encoder) encode(v any) []byte {
	e.buf = e.buf[:0]
	clear(e.path)
	e.value(reflect.ValueOf(v))
	return e.buf
}

// seed is the seed of every fingerprint in this process, so that two
// fingerprints of equal encodings are equal.
var seed = maphash.MakeSeed()

// fingerprint returns a 64-bit hash of v's canonical encoding.
func (e *encoder) fingerprint(v any) uint64 {
	return maphash.Bytes(seed, e.encode(v))
}

// Fingerprint returns a 64-bit hash of the canonical encoding of v (see
// the package doc): equal for states that are equal field by field, maps
// compared as sets of entries and pointers by what they point to.
func Fingerprint(v any) uint64 {
	return newEncoder().fingerprint(v)
}

// Encoding markers: each value starts with one, so that values of
// different shapes never encode alike.
const (
	tagNil byte = iota + 1
	tagRef      // a pointer to a value that holds it: a cycle, by its depth
	tagPtr
	tagInt
	tagUint
	tagFloat
	tagComplex
	tagBool
	tagString
	tagSlice
	tagMap
	tagStruct
	tagIface
	tagOpaque // a channel, function or unsafe pointer: only whether it is nil
)

func (e *encoder) tag(t byte)       { e.buf = append(e.buf, t) }
func (e *encoder) uvarint(n uint64) { e.buf = binary.AppendUvarint(e.buf, n) }
func (e *encoder) varint(n int64)   { e.buf = binary.AppendVarint(e.buf, n) }

func (e *encoder) bytes(b []byte) {
	e.uvarint(uint64(len(b)))
	e.buf = append(e.buf, b...)
}

// value writes v. Reading through reflect works on unexported fields too,
// as long as nothing calls Interface on them.
func (e *encoder) value(v reflect.Value) {
	if !v.IsValid() {
		e.tag(tagNil)
		return
	}
	switch v.Kind() {
	case reflect.Bool:
		e.tag(tagBool)
		if v.Bool() {
			e.buf = append(e.buf, 1)
		} else {
			e.buf = append(e.buf, 0)
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		e.tag(tagInt)
		e.varint(v.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		e.tag(tagUint)
		e.uvarint(v.Uint())
	case reflect.Float32, reflect.Float64:
		e.tag(tagFloat)
		e.uvarint(math.Float64bits(v.Float()))
	case reflect.Complex64, reflect.Complex128:
		e.tag(tagComplex)
		c := v.Complex()
		e.uvarint(math.Float64bits(real(c)))
		e.uvarint(math.Float64bits(imag(c)))
	case reflect.String:
		e.tag(tagString)
		s := v.String()
		e.uvarint(uint64(len(s)))
		e.buf = append(e.buf, s...)
	case reflect.Pointer:
		e.pointer(v)
	case reflect.Interface:
		if v.IsNil() {
			e.tag(tagNil)
			return
		}
		e.tag(tagIface)
		name := v.Elem().Type().String()
		e.uvarint(uint64(len(name)))
		e.buf = append(e.buf, name...)
		e.value(v.Elem())
	case reflect.Slice:
		if v.IsNil() {
			e.tag(tagNil)
			return
		}
		e.sequence(v)
	case reflect.Array:
		e.sequence(v)
	case reflect.Map:
		e.mapValue(v)
	case reflect.Struct:
		e.tag(tagStruct)
		e.uvarint(uint64(v.NumField()))
		for i := range v.NumField() {
			e.value(v.Field(i))
		}
	default: // Chan, Func, UnsafePointer: they hold no state of their own
		e.tag(tagOpaque)
		if v.IsNil() {
			e.buf = append(e.buf, 0)
		} else {
			e.buf = append(e.buf, 1)
		}
	}
}

// pointer writes what p points to. A pointer back to a value that is
// being written (a cycle) is written as its depth on the path instead, so
// that cyclic structures encode finitely; a value that two pointers share
// is written twice, so that the encoding does not depend on which is met
// first.
func (e *encoder) pointer(p reflect.Value) {
	if p.IsNil() {
		e.tag(tagNil)
		return
	}
	addr := p.Pointer()
	if depth, onPath := e.path[addr]; onPath {
		e.tag(tagRef)
		e.uvarint(uint64(depth))
		return
	}
	e.path[addr] = len(e.path)
	e.tag(tagPtr)
	e.value(p.Elem())
	delete(e.path, addr)
}

func (e *encoder) sequence(v reflect.Value) {
	e.tag(tagSlice)
	e.uvarint(uint64(v.Len()))
	for i := range v.Len() {
		e.value(v.Index(i))
	}
}

// mapValue writes a map's entries in the order of their keys' encodings,
// so that the encoding does not depend on the order of iteration. A nil
// map and an empty one are the same state.
func (e *encoder) mapValue(m reflect.Value) {
	e.tag(tagMap)
	n := m.Len()
	e.uvarint(uint64(n))
	if n == 0 {
		return
	}
	// Encode each entry on its own, then append the entries in order. A
	// key's encoding is never a prefix of another's, so the entries sort
	// by their keys.
	outer := e.buf
	entries := make([][]byte, 0, n)
	it := m.MapRange()
	for it.Next() {
		e.buf = nil
		e.value(it.Key())
		e.value(it.Value())
		entries = append(entries, e.buf)
	}
	slices.SortFunc(entries, bytes.Compare)
	e.buf = outer
	for _, entry := range entries {
		e.bytes(entry)
	}
}
