package labrpc

import (
	"bytes"
	"encoding"
	"encoding/gob"
	"fmt"
	"log"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
)

// codec deep-copies values through encoding/gob. A fresh gob encoder sends a
// type description before the first value, and a fresh decoder compiles a
// decoding plan for it, which costs far more than the value itself. So codec
// keeps, per type, a pool of copiers: an encoder and a decoder joined by a
// buffer, each used for a long stream of values of that one type.
type codec struct {
	mu    sync.Mutex
	types map[reflect.Type]*typeCodec
}

type typeCodec struct {
	t reflect.Type
	// noFields is set for a struct without exported fields: gob refuses
	// such types, and its copy is always the zero value.
	noFields bool
	// unexported names the unexported fields found in the type, if any,
	// and warned records that the network has said so.
	unexported []string
	warned     atomic.Bool

	// free holds idle copiers, at most maxFreeCopiers. A sync.Pool would
	// be emptied by every garbage collection, and rebuilding a copier
	// costs a type description and a decoding plan.
	freeMu sync.Mutex
	free   []*copier
}

// maxFreeCopiers bounds the idle copiers kept per type.
const maxFreeCopiers = 64

type copier struct {
	buf bytes.Buffer
	enc *gob.Encoder
	dec *gob.Decoder
}

// forType returns the codec of type t, making it on first use.
func (c *codec) forType(t reflect.Type) *typeCodec {
	c.mu.Lock()
	defer c.mu.Unlock()
	if tc, ok := c.types[t]; ok {
		return tc
	}
	if c.types == nil {
		c.types = map[reflect.Type]*typeCodec{}
	}
	tc := &typeCodec{t: t, unexported: unexportedFields(t)}
	if t.Kind() == reflect.Struct && !encodesItself(t) {
		tc.noFields = true
		for i := range t.NumField() {
			if t.Field(i).IsExported() {
				tc.noFields = false
			}
		}
	}
	c.types[t] = tc
	return tc
}

// copy sets dst (a pointer) to a deep copy of src (a value of dst's element
// type, tc's type) and returns the size of src's encoding.
func (tc *typeCodec) copy(dst, src reflect.Value) (int, error) {
	if tc.noFields {
		dst.Elem().SetZero()
		return 0, nil
	}
	var cp *copier
	tc.freeMu.Lock()
	if n := len(tc.free); n > 0 {
		cp = tc.free[n-1]
		tc.free = tc.free[:n-1]
	}
	tc.freeMu.Unlock()
	if cp == nil {
		var err error
		if cp, err = newCopier(tc.t); err != nil {
			return 0, err
		}
	}
	cp.buf.Reset()
	if err := cp.enc.EncodeValue(src); err != nil {
		return 0, err // a broken stream is not kept
	}
	size := cp.buf.Len()
	if err := cp.dec.DecodeValue(dst); err != nil {
		return 0, err
	}
	if cp.buf.Cap() > 1<<20 {
		cp.buf = bytes.Buffer{} // don't keep a state transfer's megabytes
	}
	tc.freeMu.Lock()
	if len(tc.free) < maxFreeCopiers {
		tc.free = append(tc.free, cp)
	}
	tc.freeMu.Unlock()
	return size, nil
}

// newCopier returns a copier that has already sent the type description of
// t, so that the sizes it reports are those of the values alone.
func newCopier(t reflect.Type) (*copier, error) {
	cp := &copier{}
	cp.enc = gob.NewEncoder(&cp.buf)
	cp.dec = gob.NewDecoder(&cp.buf)
	if err := cp.enc.EncodeValue(reflect.New(t).Elem()); err != nil {
		return nil, fmt.Errorf("cannot encode %s: %w", t, err)
	}
	if err := cp.dec.DecodeValue(reflect.New(t)); err != nil {
		return nil, fmt.Errorf("cannot decode %s: %w", t, err)
	}
	return cp, nil
}

// unexportedFields lists the unexported struct fields reachable from t, as
// "Type.field".
func unexportedFields(t reflect.Type) []string {
	var found []string
	seen := map[reflect.Type]bool{}
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		if seen[t] {
			return
		}
		seen[t] = true
		if encodesItself(t) {
			return // gob leaves its fields to its own methods
		}
		switch t.Kind() {
		case reflect.Pointer, reflect.Slice, reflect.Array:
			walk(t.Elem())
		case reflect.Map:
			walk(t.Key())
			walk(t.Elem())
		case reflect.Struct:
			for i := range t.NumField() {
				f := t.Field(i)
				if !f.IsExported() {
					found = append(found, t.String()+"."+f.Name)
					continue
				}
				walk(f.Type)
			}
		}
	}
	walk(t)
	return found
}

var (
	gobEncoderType    = reflect.TypeFor[gob.GobEncoder]()
	binaryMarshalType = reflect.TypeFor[encoding.BinaryMarshaler]()
	textMarshalType   = reflect.TypeFor[encoding.TextMarshaler]()
)

// encodesItself reports whether gob encodes t (time.Time, say) through its
// own methods rather than field by field.
func encodesItself(t reflect.Type) bool {
	for _, m := range []reflect.Type{gobEncoderType, binaryMarshalType, textMarshalType} {
		if t.Implements(m) || reflect.PointerTo(t).Implements(m) {
			return true
		}
	}
	return false
}

// warnUnexported prints, once per type and network, that a message type has
// unexported fields.
func (n *Network) warnUnexported(tc *typeCodec) {
	if len(tc.unexported) == 0 || tc.warned.Swap(true) {
		return
	}
	log.Printf("labrpc: %s has unexported field(s) %s: gob does not send them, so they arrive as zero values. "+
		"Capitalise every field of an RPC argument or reply.",
		tc.t, strings.Join(tc.unexported, ", "))
}
