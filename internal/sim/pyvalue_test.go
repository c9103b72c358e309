package sim

import "testing"

func TestPyLiteralEval(t *testing.T) {
	tests := []struct {
		src      string
		wantRepr string
		wantErr  string
	}{
		{`{'kube_tag': 'v1.23.3', 'auto_healing_enabled': True, 'n': 5}`, `{'kube_tag': 'v1.23.3', 'auto_healing_enabled': True, 'n': 5}`, ""},
		{`{"a": "it's", 'b': None, 'c': -1.5e3, 'd': [1, (2,)],}`, `{'a': "it's", 'b': None, 'c': -1500.0, 'd': [1, (2,)]}`, ""},
		{`{}`, `{}`, ""},
		{`  {'a': 'x' 'y'}`, `{'a': 'xy'}`, ""},
		{`{1, 2}`, `{1, 2}`, ""},
		{`not a dict`, "", "invalid syntax (<unknown>, line 1)"},
		{`{'a': b}`, "", "malformed node or string on line 1: <ast.Name object at 0x7f5e2c3b1f10>"},
		{`{'a': 'unterminated}`, "", "invalid syntax (<unknown>, line 1)"},
		{`{'a': 'b' 'c': 1}`, "", "invalid syntax (<unknown>, line 1)"},
		{`{'a' 'b'}`, `{'ab'}`, ""},
		{``, "", "invalid syntax (<unknown>, line 1)"},
	}
	for _, tc := range tests {
		v, err := pyLiteralEval(tc.src)
		if tc.wantErr != "" {
			if err == nil || err.Error() != tc.wantErr {
				t.Errorf("pyLiteralEval(%q) error = %v, want %q", tc.src, err, tc.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("pyLiteralEval(%q): %v", tc.src, err)
			continue
		}
		if got := pyRepr(v); got != tc.wantRepr {
			t.Errorf("repr(literal_eval(%q)) = %s, want %s", tc.src, got, tc.wantRepr)
		}
	}
}

func TestPyReprOfJSON(t *testing.T) {
	for _, tc := range []struct{ json, want string }{
		{`{"a": [1], "b": true, "c": null, "d": 1.0, "e": 1e20, "f": 0.0001}`, `{'a': [1], 'b': True, 'c': None, 'd': 1.0, 'e': 1e+20, 'f': 0.0001}`},
		{`"line\nbreak\\"`, `'line\nbreak\\'`},
		{`{"z": 1, "a": 2}`, `{'z': 1, 'a': 2}`},
	} {
		v, err := decodePyJSON([]byte(tc.json))
		if err != nil {
			t.Fatalf("decode %s: %v", tc.json, err)
		}
		if got := pyRepr(v); got != tc.want {
			t.Errorf("pyRepr(%s) = %s, want %s", tc.json, got, tc.want)
		}
	}
	if _, err := decodePyJSON([]byte(`{} {}`)); err == nil {
		t.Error("trailing data accepted")
	}
}
