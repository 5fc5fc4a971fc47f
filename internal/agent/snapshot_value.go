package agent

import (
	"cmp"
	"fmt"
	"maps"
	"math"
	"slices"
	"time"
)

// Extra values are stored with their Go types, since yaml.v3 decodes
// frontmatter into more than JSON can say (int vs float64, time.Time for
// unquoted dates, maps with non-string keys):
//
//	extra  u32 count, count × {string key, value}, keys sorted
//	value  u8 tag, then by tag:
//	       nil, false, true: nothing; string: string;
//	       int, int64, uint64: u64; float64: u64 IEEE bits;
//	       []any: u32 count, values; map[string]any: u32 count, {string, value}…;
//	       map[any]any: u32 count, {value, value}…;
//	       time.Time: u8 length, MarshalBinary bytes
//
// A time.Time comes back with the same instant and zone offset (the
// location is a fixed zone unless it is UTC or Local), which time.Time's
// Equal, and so go-cmp, treats as the same value.
const (
	tagNil byte = iota
	tagString
	tagFalse
	tagTrue
	tagInt
	tagInt64
	tagUint64
	tagFloat64
	tagList
	tagStringMap
	tagAnyMap
	tagTime
)

// maxValueDepth bounds nesting so that damaged data cannot recurse
// without limit; frontmatter is never nested anywhere near this deep.
const maxValueDepth = 100

func (e *snapEncoder) extra(m map[string]any) error {
	keys := slices.Sorted(maps.Keys(m))
	e.u32(uint32(len(keys)))
	for _, k := range keys {
		e.str(k)
		if err := e.value(m[k], 1); err != nil {
			return fmt.Errorf("Extra[%q]: %w", k, err)
		}
	}
	return nil
}

// value appends v. The types are those yaml.v3 produces decoding into an
// any; anything else is refused rather than stored in a form that would
// not round-trip.
func (e *snapEncoder) value(v any, depth int) error {
	if depth > maxValueDepth {
		return fmt.Errorf("nested deeper than %d levels", maxValueDepth)
	}
	switch v := v.(type) {
	case nil:
		e.u8(tagNil)
	case string:
		e.u8(tagString)
		e.str(v)
	case bool:
		if v {
			e.u8(tagTrue)
		} else {
			e.u8(tagFalse)
		}
	case int:
		e.u8(tagInt)
		e.u64(uint64(v))
	case int64:
		e.u8(tagInt64)
		e.u64(uint64(v))
	case uint64:
		e.u8(tagUint64)
		e.u64(v)
	case float64:
		e.u8(tagFloat64)
		e.u64(math.Float64bits(v))
	case []any:
		e.u8(tagList)
		e.u32(uint32(len(v)))
		for i, x := range v {
			if err := e.value(x, depth+1); err != nil {
				return fmt.Errorf("[%d]: %w", i, err)
			}
		}
	case map[string]any:
		e.u8(tagStringMap)
		e.u32(uint32(len(v)))
		for _, k := range slices.Sorted(maps.Keys(v)) {
			e.str(k)
			if err := e.value(v[k], depth+1); err != nil {
				return fmt.Errorf("[%q]: %w", k, err)
			}
		}
	case map[any]any:
		e.u8(tagAnyMap)
		e.u32(uint32(len(v)))
		keys := slices.SortedFunc(maps.Keys(v), compareKeys)
		for _, k := range keys {
			if err := e.value(k, depth+1); err != nil {
				return fmt.Errorf("key %v: %w", k, err)
			}
			if err := e.value(v[k], depth+1); err != nil {
				return fmt.Errorf("[%v]: %w", k, err)
			}
		}
	case time.Time:
		b, err := v.MarshalBinary()
		if err != nil {
			return err
		}
		e.u8(tagTime)
		e.u8(byte(len(b))) // at most 18 bytes
		e.tab = append(e.tab, b...)
	default:
		return fmt.Errorf("unsupported type %T (only the types yaml.v3 decodes into an any are stored)", v)
	}
	return nil
}

// compareKeys orders map[any]any keys by type, then value, so that the
// encoding is deterministic.
func compareKeys(a, b any) int {
	ta, tb := fmt.Sprintf("%T", a), fmt.Sprintf("%T", b)
	if ta != tb {
		return cmp.Compare(ta, tb)
	}
	switch a := a.(type) {
	case string:
		return cmp.Compare(a, b.(string))
	case int:
		return cmp.Compare(a, b.(int))
	case int64:
		return cmp.Compare(a, b.(int64))
	case uint64:
		return cmp.Compare(a, b.(uint64))
	case float64:
		return cmp.Compare(a, b.(float64))
	case time.Time:
		return a.Compare(b.(time.Time))
	}
	return cmp.Compare(fmt.Sprint(a), fmt.Sprint(b))
}

func (r *snapReader) extra() map[string]any {
	n := r.count("Extra entries", 9)
	m := make(map[string]any, n)
	for range n {
		k := r.str()
		m[k] = r.value(1)
		if r.err != nil {
			return nil
		}
	}
	return m
}

func (r *snapReader) value(depth int) any {
	if depth > maxValueDepth {
		r.fail("Extra value nested deeper than %d levels", maxValueDepth)
		return nil
	}
	switch tag := r.u8(); tag {
	case tagNil:
		return nil
	case tagString:
		return r.str()
	case tagFalse:
		return false
	case tagTrue:
		return true
	case tagInt:
		return int(r.u64())
	case tagInt64:
		return int64(r.u64())
	case tagUint64:
		return r.u64()
	case tagFloat64:
		return math.Float64frombits(r.u64())
	case tagList:
		l := make([]any, r.count("list values", 1))
		for i := range l {
			if l[i] = r.value(depth + 1); r.err != nil {
				return nil
			}
		}
		return l
	case tagStringMap:
		n := r.count("map entries", 9)
		m := make(map[string]any, n)
		for range n {
			k := r.str()
			if m[k] = r.value(depth + 1); r.err != nil {
				return nil
			}
		}
		return m
	case tagAnyMap:
		n := r.count("map entries", 2)
		m := make(map[any]any, n)
		for range n {
			k := r.value(depth + 1)
			switch k.(type) {
			case []any, map[string]any, map[any]any:
				r.fail("map key of type %T", k) // unhashable: inserting it would panic
			}
			v := r.value(depth + 1)
			if r.err != nil {
				return nil
			}
			m[k] = v
		}
		return m
	case tagTime:
		n := int(r.u8())
		if !r.need(n, "time") {
			return nil
		}
		var t time.Time
		if err := t.UnmarshalBinary(r.b[r.off : r.off+n]); err != nil {
			r.fail("time value: %v", err)
			return nil
		}
		r.off += n
		return t
	default:
		if r.err == nil {
			r.fail("unknown Extra value tag %d", tag)
		}
		return nil
	}
}
