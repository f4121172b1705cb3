package explore

import (
	"reflect"
	"unsafe"
)

// Deep copies of a student's state, for the exhaustive searches: the
// search rebuilds a state once, by replaying its path, and copies it for
// each event it tries from there. The copy is made by reflection, and
// reaches unexported fields too (through unsafe, as the student's types
// are unknown to the explorer). Pointers shared in the original are
// shared in the copy; channels and functions are not copied, but shared.

// deepCopy returns a deep copy of the value p points to, as a new pointer
// of the same type.
func deepCopy[T any](p *T) *T {
	c := &cloner{seen: map[uintptr]reflect.Value{}}
	dst := new(T)
	c.seen[reflect.ValueOf(p).Pointer()] = reflect.ValueOf(dst)
	c.copy(reflect.ValueOf(dst).Elem(), reflect.ValueOf(p).Elem())
	return dst
}

// copyOf returns a deep copy of v, a pointer held in an interface (a
// ViewMachine, a Core).
func copyOf[I any](v I) I {
	rv := reflect.ValueOf(v)
	c := &cloner{seen: map[uintptr]reflect.Value{}}
	dst := reflect.New(rv.Type()).Elem()
	c.copy(dst, rv)
	return dst.Interface().(I)
}

type cloner struct {
	seen map[uintptr]reflect.Value // pointers copied so far, by the original's address
	// wire copies as labrpc's encoding does: unexported fields are left
	// at zero, and an empty map or slice arrives as nil.
	wire bool
}

// wireCopy returns a copy of the message v points to, as it arrives on the
// other side of labrpc, which copies messages through encoding/gob.
func wireCopy(v any) any {
	rv := reflect.ValueOf(v)
	c := &cloner{seen: map[uintptr]reflect.Value{}, wire: true}
	dst := reflect.New(rv.Type()).Elem()
	c.copy(dst, rv)
	return dst.Interface()
}

// settable returns v, made settable even if it is an unexported field.
func settable(v reflect.Value) reflect.Value {
	if v.CanSet() {
		return v
	}
	return reflect.NewAt(v.Type(), unsafe.Pointer(v.UnsafeAddr())).Elem()
}

// readable returns v, made readable as an interface even if it is an
// unexported field.
func readable(v reflect.Value) reflect.Value {
	if v.CanInterface() || !v.CanAddr() {
		return v
	}
	return reflect.NewAt(v.Type(), unsafe.Pointer(v.UnsafeAddr())).Elem()
}

// copy copies src into dst, which has src's type and is settable.
func (c *cloner) copy(dst, src reflect.Value) {
	src = readable(src)
	switch src.Kind() {
	case reflect.Pointer:
		if src.IsNil() {
			return
		}
		if p, ok := c.seen[src.Pointer()]; ok {
			dst.Set(p)
			return
		}
		p := reflect.New(src.Type().Elem())
		c.seen[src.Pointer()] = p
		c.copy(p.Elem(), src.Elem())
		dst.Set(p)
	case reflect.Struct:
		for i := range src.NumField() {
			if c.wire && !src.Type().Field(i).IsExported() {
				continue
			}
			c.copy(settable(dst.Field(i)), src.Field(i))
		}
	case reflect.Map:
		if src.IsNil() || c.wire && src.Len() == 0 {
			return
		}
		m := reflect.MakeMapWithSize(src.Type(), src.Len())
		it := src.MapRange()
		for it.Next() {
			k := reflect.New(src.Type().Key()).Elem()
			c.copy(k, it.Key())
			v := reflect.New(src.Type().Elem()).Elem()
			c.copy(v, it.Value())
			m.SetMapIndex(k, v)
		}
		dst.Set(m)
	case reflect.Slice:
		if src.IsNil() || c.wire && src.Len() == 0 {
			return
		}
		s := reflect.MakeSlice(src.Type(), src.Len(), src.Len())
		for i := range src.Len() {
			c.copy(s.Index(i), src.Index(i))
		}
		dst.Set(s)
	case reflect.Array:
		for i := range src.Len() {
			c.copy(dst.Index(i), src.Index(i))
		}
	case reflect.Interface:
		if src.IsNil() {
			return
		}
		e := reflect.New(src.Elem().Type()).Elem()
		c.copy(e, src.Elem())
		dst.Set(e)
	case reflect.Bool:
		dst.SetBool(src.Bool())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		dst.SetInt(src.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		dst.SetUint(src.Uint())
	case reflect.Float32, reflect.Float64:
		dst.SetFloat(src.Float())
	case reflect.Complex64, reflect.Complex128:
		dst.SetComplex(src.Complex())
	case reflect.String:
		dst.SetString(src.String())
	default: // channels and functions are shared, where they can be read
		if src.CanInterface() {
			dst.Set(src)
		}
	}
}
