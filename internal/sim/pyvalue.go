package sim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// Magnum is written in Python and many of its error messages embed Python
// reprs of the offending value ("Value: '{'a': [1]}'"). To reproduce those
// messages byte for byte the simulator keeps request values in a small
// Python-like value model instead of Go's map[string]any, which would lose
// key order and the int/float distinction.
//
// Values are: nil (None), bool, int64, float64, string, pyList, pyTuple,
// pySet and *pyDict.

type (
	pyList  []any
	pyTuple []any
	pySet   []any
)

type pyItem struct {
	Key any
	Val any
}

// pyDict is an insertion-ordered dict, like Python 3.7+'s.
type pyDict struct {
	items []pyItem
}

func newPyDict() *pyDict { return &pyDict{} }

func (d *pyDict) Len() int {
	if d == nil {
		return 0
	}
	return len(d.items)
}

func (d *pyDict) index(key any) int {
	if d == nil {
		// A nil dict reads as empty, so optional label sets need no guards.
		return -1
	}
	for i, it := range d.items {
		if it.Key == key {
			return i
		}
	}
	return -1
}

func (d *pyDict) Get(key any) (any, bool) {
	if i := d.index(key); i >= 0 {
		return d.items[i].Val, true
	}
	return nil, false
}

func (d *pyDict) Set(key, val any) {
	if i := d.index(key); i >= 0 {
		d.items[i].Val = val
		return
	}
	d.items = append(d.items, pyItem{Key: key, Val: val})
}

func (d *pyDict) Delete(key any) bool {
	i := d.index(key)
	if i < 0 {
		return false
	}
	d.items = append(d.items[:i:i], d.items[i+1:]...)
	return true
}

func (d *pyDict) Keys() []any {
	out := make([]any, len(d.items))
	for i, it := range d.items {
		out[i] = it.Key
	}
	return out
}

// Clone copies the dict one level deep, which is all the simulator needs:
// nested values are never mutated in place.
func (d *pyDict) Clone() *pyDict {
	if d == nil {
		return nil
	}
	return &pyDict{items: append([]pyItem(nil), d.items...)}
}

// MarshalJSON keeps insertion order, so labels come back in the order the
// client sent them, as they do from Magnum.
func (d *pyDict) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, it := range d.items {
		if i > 0 {
			b.WriteByte(',')
		}
		k, err := json.Marshal(fmt.Sprint(it.Key))
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		v, err := marshalPy(it.Val)
		if err != nil {
			return nil, err
		}
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

func marshalPy(v any) ([]byte, error) {
	switch t := v.(type) {
	case pyList:
		return json.Marshal([]any(t))
	case pyTuple:
		return json.Marshal([]any(t))
	case pySet:
		return json.Marshal([]any(t))
	}
	return json.Marshal(v)
}

// decodePyJSON decodes JSON into the Python value model, keeping object key
// order and telling integers from floats the way Python's json module does.
func decodePyJSON(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := decodePyValue(dec)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("trailing data after JSON value")
	}
	return v, nil
}

func decodePyValue(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			d := newPyDict()
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k, ok := kt.(string)
				if !ok {
					return nil, errors.New("object key is not a string")
				}
				v, err := decodePyValue(dec)
				if err != nil {
					return nil, err
				}
				d.Set(k, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return d, nil
		case '[':
			l := pyList{}
			for dec.More() {
				v, err := decodePyValue(dec)
				if err != nil {
					return nil, err
				}
				l = append(l, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return l, nil
		}
		return nil, fmt.Errorf("unexpected delimiter %v", t)
	case json.Number:
		return pyNumber(string(t))
	default:
		return t, nil // string, bool or nil
	}
}

func pyNumber(s string) (any, error) {
	if !strings.ContainsAny(s, ".eE") {
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return i, nil
		}
	}
	return strconv.ParseFloat(s, 64)
}

// pyTypeName is Python's repr of type(v), as WSME prints it.
func pyTypeName(v any) string {
	switch v.(type) {
	case nil:
		return "<class 'NoneType'>"
	case bool:
		return "<class 'bool'>"
	case int64, int:
		return "<class 'int'>"
	case float64:
		return "<class 'float'>"
	case string:
		return "<class 'str'>"
	case pyList:
		return "<class 'list'>"
	case pyTuple:
		return "<class 'tuple'>"
	case pySet:
		return "<class 'set'>"
	case *pyDict:
		return "<class 'dict'>"
	}
	return fmt.Sprintf("<class '%T'>", v)
}

// pyStr is Python's str(v).
func pyStr(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return pyRepr(v)
}

// pyRepr is Python's repr(v).
func pyRepr(v any) string {
	var b strings.Builder
	writeRepr(&b, v)
	return b.String()
}

func writeRepr(b *strings.Builder, v any) {
	switch t := v.(type) {
	case nil:
		b.WriteString("None")
	case bool:
		if t {
			b.WriteString("True")
		} else {
			b.WriteString("False")
		}
	case int64:
		b.WriteString(strconv.FormatInt(t, 10))
	case int:
		b.WriteString(strconv.Itoa(t))
	case float64:
		b.WriteString(pyFloatRepr(t))
	case string:
		b.WriteString(pyStringRepr(t))
	case pyList:
		writeSeq(b, "[", "]", t)
	case pyTuple:
		if len(t) == 1 {
			b.WriteString("(")
			writeRepr(b, t[0])
			b.WriteString(",)")
			return
		}
		writeSeq(b, "(", ")", t)
	case pySet:
		if len(t) == 0 {
			b.WriteString("set()")
			return
		}
		writeSeq(b, "{", "}", t)
	case *pyDict:
		b.WriteString("{")
		for i, it := range t.items {
			if i > 0 {
				b.WriteString(", ")
			}
			writeRepr(b, it.Key)
			b.WriteString(": ")
			writeRepr(b, it.Val)
		}
		b.WriteString("}")
	default:
		fmt.Fprint(b, t)
	}
}

func writeSeq(b *strings.Builder, open, close string, items []any) {
	b.WriteString(open)
	for i, it := range items {
		if i > 0 {
			b.WriteString(", ")
		}
		writeRepr(b, it)
	}
	b.WriteString(close)
}

// pyFloatRepr follows Python's float repr: shortest round-trip digits, fixed
// notation for exponents in [-4, 16), always with a fractional part.
func pyFloatRepr(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case math.IsNaN(f):
		return "nan"
	}
	if f == 0 {
		if math.Signbit(f) {
			return "-0.0"
		}
		return "0.0"
	}
	exp := int(math.Floor(math.Log10(math.Abs(f))))
	if exp >= -4 && exp < 16 {
		s := strconv.FormatFloat(f, 'f', -1, 64)
		if !strings.Contains(s, ".") {
			s += ".0"
		}
		return s
	}
	return strconv.FormatFloat(f, 'e', -1, 64)
}

func pyStringRepr(s string) string {
	quote := byte('\'')
	if strings.Contains(s, "'") && !strings.Contains(s, "\"") {
		quote = '"'
	}
	var b strings.Builder
	b.WriteByte(quote)
	for _, r := range s {
		switch {
		case r == '\\':
			b.WriteString(`\\`)
		case r == rune(quote):
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte(quote)
	return b.String()
}
