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
	// noFields is set for a struct without a field gob sends: gob refuses
	// such types, and its copy is always the zero value.
	noFields bool
	// unsent lists the fields found in the type that gob does not send,
	// and warned records that the network has said so.
	unsent unsentFields
	warned atomic.Bool
	// unsendable, if set, is why gob cannot copy the type at all: a
	// struct inside it has no field gob sends.
	unsendable error

	// free holds idle copiers, at most maxFreeCopiers. A sync.Pool would
	// be emptied by every garbage collection, and rebuilding a copier
	// costs a type description and a decoding plan.
	freeMu sync.Mutex
	free   []*copier
}

// maxFreeCopiers bounds the idle copiers kept per type.
const maxFreeCopiers = 64

// bigMessage is the size above which a message's copier is not kept.
const bigMessage = 1 << 20

type copier struct {
	buf copyBuffer
	enc *gob.Encoder
	dec *gob.Decoder
}

// A copyBuffer joins a copier's encoder to its decoder. It refuses a message
// over MaxMessageSize, so that such a message is never copied into it: gob
// writes each message with one Write.
type copyBuffer struct{ bytes.Buffer }

func (b *copyBuffer) Write(p []byte) (int, error) {
	if len(p) > MaxMessageSize {
		return 0, &tooBigError{len(p)}
	}
	return b.Buffer.Write(p)
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
	tc := &typeCodec{t: t, unsent: findUnsent(t)}
	tc.noFields = t.Kind() == reflect.Struct && !encodesItself(t) && !sendsFields(t)
	for _, empty := range tc.unsent.empty {
		if empty != t {
			tc.unsendable = fmt.Errorf("gob cannot send the struct %s inside %s: it has no field gob sends "+
				"(unexported fields and fields of chan or func type are not sent)", empty, t)
			break
		}
	}
	c.types[t] = tc
	return tc
}

// sendsFields reports whether gob sends any field of t, a struct type that
// does not encode itself: an exported field that is not a chan or a func.
func sendsFields(t reflect.Type) bool {
	for i := range t.NumField() {
		if f := t.Field(i); f.IsExported() && !chanOrFunc(f.Type) {
			return true
		}
	}
	return false
}

// chanOrFunc reports whether t is a chan or a func, or a pointer to one:
// gob skips struct fields of such types.
func chanOrFunc(t reflect.Type) bool {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Kind() == reflect.Chan || t.Kind() == reflect.Func
}

// tooBigError is the error of a copy whose encoding is over
// MaxMessageSize.
type tooBigError struct{ size int }

func (e *tooBigError) Error() string {
	return fmt.Sprintf("the message is %s encoded, more than MaxMessageSize (%s)", megabytes(e.size), megabytes(MaxMessageSize))
}

// megabytes renders a size in bytes as megabytes, "52.4 MB".
func megabytes(size int) string {
	return fmt.Sprintf("%.1f MB", float64(size)/(1<<20))
}

// copy sets dst (a pointer) to a deep copy of src (a value of dst's element
// type, tc's type) and returns the size of src's encoding. A src whose
// encoding is over MaxMessageSize is not copied: the error is a
// *tooBigError.
//
// A copier that carried a message over bigMessage is not kept: its encoder
// and decoder would keep buffers of that size for as long as it lives.
func (tc *typeCodec) copy(dst, src reflect.Value) (int, error) {
	if tc.noFields {
		dst.Elem().SetZero()
		return 0, nil
	}
	if tc.unsendable != nil {
		return 0, tc.unsendable
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
	if size > bigMessage {
		return size, nil
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

// unsentFields are the fields of a type, and of the types inside it, that
// gob does not send.
type unsentFields struct {
	unexported []string       // lower-case fields, as "Type.field"
	chanOrFunc []string       // exported fields of chan or func type, as "Type.Field (type)"
	empty      []reflect.Type // struct types without a field gob sends
}

// findUnsent walks t and the types inside it for fields gob does not send.
func findUnsent(t reflect.Type) unsentFields {
	var found unsentFields
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
			if t.NumField() > 0 && !sendsFields(t) {
				found.empty = append(found.empty, t) // gob refuses it
			}
			for i := range t.NumField() {
				f := t.Field(i)
				switch {
				case !f.IsExported():
					found.unexported = append(found.unexported, t.String()+"."+f.Name)
				case chanOrFunc(f.Type):
					found.chanOrFunc = append(found.chanOrFunc, t.String()+"."+f.Name+" ("+f.Type.String()+")")
				default:
					walk(f.Type)
				}
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

// warnUnsent prints, once per type and network, that a message type has
// fields gob does not send: unexported ones, or ones of chan or func type.
func (n *Network) warnUnsent(tc *typeCodec) {
	u := &tc.unsent
	if len(u.unexported)+len(u.chanOrFunc) == 0 || tc.warned.Swap(true) {
		return
	}
	if len(u.unexported) > 0 {
		log.Printf("labrpc: %s has unexported field(s) %s: gob does not send them, so they arrive as zero values. "+
			"Capitalise every field of an RPC argument or reply.",
			tc.t, strings.Join(u.unexported, ", "))
	}
	if len(u.chanOrFunc) > 0 {
		log.Printf("labrpc: %s has field(s) of chan or func type %s: gob does not send them, so they arrive as nil. "+
			"An RPC argument or reply carries data only: a channel or a function cannot cross a network.",
			tc.t, strings.Join(u.chanOrFunc, ", "))
	}
}
