package sim

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// pyLiteralEval: Python's ast.literal_eval, which Magnum applies to a
// labels or health_status_reason patch given as a string and to nodegroup
// labels, so the simulator accepts and refuses exactly the literals Magnum
// does, with its messages. The value model is pyvalue.go's.

// errPySyntax and pyMalformedError mirror the two ways ast.literal_eval
// fails; Magnum quotes the exception text in its PatchError message.
var errPySyntax = errors.New("invalid syntax (<unknown>, line 1)")

type pyMalformedError struct{ node string }

func (e pyMalformedError) Error() string {
	return fmt.Sprintf("malformed node or string on line 1: <ast.%s object at 0x7f5e2c3b1f10>", e.node)
}

// pyLiteralEval parses the subset of Python literal syntax that
// ast.literal_eval accepts and magnumclient produces (str(dict)): dicts,
// lists, tuples, sets, strings, numbers, True, False and None.
func pyLiteralEval(src string) (any, error) {
	p := &pyParser{s: strings.TrimLeft(src, " \t")}
	v, err := p.value()
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.i != len(p.s) {
		return nil, errPySyntax
	}
	return v, nil
}

type pyParser struct {
	s string
	i int
}

func (p *pyParser) skipSpace() {
	for p.i < len(p.s) && strings.IndexByte(" \t\n\r", p.s[p.i]) >= 0 {
		p.i++
	}
}

func (p *pyParser) peek() byte {
	p.skipSpace()
	if p.i >= len(p.s) {
		return 0
	}
	return p.s[p.i]
}

func (p *pyParser) value() (any, error) {
	c := p.peek()
	switch {
	case c == 0:
		return nil, errPySyntax
	case c == '{':
		return p.dictOrSet()
	case c == '[':
		p.i++
		items, err := p.items(']')
		return pyList(items), err
	case c == '(':
		p.i++
		start := p.i
		items, err := p.items(')')
		if err != nil {
			return nil, err
		}
		// "(x)" is a parenthesised value, "(x,)" a tuple.
		if len(items) == 1 && !strings.Contains(strings.TrimSpace(p.s[start:p.i-1]), ",") {
			return items[0], nil
		}
		return pyTuple(items), nil
	case c == '\'' || c == '"':
		return p.str()
	case c == '-' || c == '+' || c == '.' || (c >= '0' && c <= '9'):
		return p.number()
	case c == '_' || (c|0x20 >= 'a' && c|0x20 <= 'z'):
		start := p.i
		for p.i < len(p.s) && (p.s[p.i] == '_' || p.s[p.i]|0x20 >= 'a' && p.s[p.i]|0x20 <= 'z' || p.s[p.i] >= '0' && p.s[p.i] <= '9') {
			p.i++
		}
		switch word := p.s[start:p.i]; word {
		case "True":
			return true, nil
		case "False":
			return false, nil
		case "None":
			return nil, nil
		default:
			// A bare name followed by more names ("not a dict") does not
			// even parse; a lone name parses but is not a literal.
			if c := p.peek(); c != 0 && c != ',' && c != ':' && c != '}' && c != ']' && c != ')' {
				return nil, errPySyntax
			}
			return nil, pyMalformedError{node: "Name"}
		}
	}
	return nil, errPySyntax
}

func (p *pyParser) items(closer byte) ([]any, error) {
	var out []any
	for {
		if p.peek() == closer {
			p.i++
			return out, nil
		}
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		out = append(out, v)
		switch p.peek() {
		case ',':
			p.i++
		case closer:
			p.i++
			return out, nil
		default:
			return nil, errPySyntax
		}
	}
}

func (p *pyParser) dictOrSet() (any, error) {
	p.i++ // '{'
	if p.peek() == '}' {
		p.i++
		return newPyDict(), nil
	}
	first, err := p.value()
	if err != nil {
		return nil, err
	}
	if p.peek() != ':' {
		set := pySet{first}
		for {
			switch p.peek() {
			case ',':
				p.i++
				if p.peek() == '}' {
					p.i++
					return set, nil
				}
				v, err := p.value()
				if err != nil {
					return nil, err
				}
				set = append(set, v)
			case '}':
				p.i++
				return set, nil
			default:
				return nil, errPySyntax
			}
		}
	}
	d := newPyDict()
	key := first
	for {
		if p.peek() != ':' {
			return nil, errPySyntax
		}
		p.i++
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		switch key.(type) {
		case pyList, *pyDict, pySet:
			// unhashable; Python raises TypeError, which Magnum does not catch
			return nil, errPySyntax
		}
		d.Set(key, v)
		switch p.peek() {
		case ',':
			p.i++
			if p.peek() == '}' {
				p.i++
				return d, nil
			}
			if key, err = p.value(); err != nil {
				return nil, err
			}
		case '}':
			p.i++
			return d, nil
		default:
			return nil, errPySyntax
		}
	}
}

func (p *pyParser) str() (any, error) {
	quote := p.s[p.i]
	p.i++
	var b strings.Builder
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == quote:
			p.i++
			// Adjacent literals concatenate: 'a' 'b' == 'ab'.
			if n := p.peek(); n == '\'' || n == '"' {
				rest, err := p.str()
				if err != nil {
					return nil, err
				}
				return b.String() + rest.(string), nil
			}
			return b.String(), nil
		case c == '\n':
			return nil, errPySyntax
		case c == '\\' && p.i+1 < len(p.s):
			p.i++
			switch e := p.s[p.i]; e {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			case '\\', '\'', '"':
				b.WriteByte(e)
			case 'x':
				if p.i+2 >= len(p.s) {
					return nil, errPySyntax
				}
				n, err := strconv.ParseUint(p.s[p.i+1:p.i+3], 16, 8)
				if err != nil {
					return nil, errPySyntax
				}
				b.WriteRune(rune(n))
				p.i += 2
			default:
				b.WriteByte('\\')
				b.WriteByte(e)
			}
			p.i++
		default:
			b.WriteByte(c)
			p.i++
		}
	}
	return nil, errPySyntax
}

func (p *pyParser) number() (any, error) {
	start := p.i
	neg := false
	for p.i < len(p.s) && (p.s[p.i] == '-' || p.s[p.i] == '+') {
		if p.s[p.i] == '-' {
			neg = !neg
		}
		p.i++
		p.skipSpace()
	}
	numStart := p.i
	for p.i < len(p.s) && strings.IndexByte("0123456789._eE", p.s[p.i]) >= 0 {
		if (p.s[p.i] == 'e' || p.s[p.i] == 'E') && p.i+1 < len(p.s) && (p.s[p.i+1] == '-' || p.s[p.i+1] == '+') {
			p.i++
		}
		p.i++
	}
	lit := strings.ReplaceAll(p.s[numStart:p.i], "_", "")
	if lit == "" {
		p.i = start
		return nil, errPySyntax
	}
	v, err := pyNumber(lit)
	if err != nil {
		return nil, errPySyntax
	}
	if neg {
		switch n := v.(type) {
		case int64:
			return -n, nil
		case float64:
			return -n, nil
		}
	}
	return v, nil
}
