package forms

import (
	"encoding/json"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"testing"

	"lifeboat/assets"
)

// FuzzEvalExpr checks that no expression makes ParseExpr or Eval panic,
// and that Eval only ever returns a finite number or an error.
func FuzzEvalExpr(f *testing.F) {
	for _, src := range []string{
		"1 + 2 * 3", "-(a + b) / c", "round(a / b, 2)", "if(a > b, min(a, b), max(a, b, 3))",
		"sum(a, b, c) - abs(-a)", "default(x, 0) + 1", "a / 0", "((((a))))", "1 < 2", "a != b",
	} {
		f.Add(src, 1.0, 0.0)
	}
	// Seed with every compute expression in testdata and the built-in forms.
	var add = func(data []byte) {
		var d struct{ Fields []struct{ Compute string } }
		if json.Unmarshal(data, &d) == nil {
			for _, fl := range d.Fields {
				if fl.Compute != "" {
					f.Add(fl.Compute, 2.0, 3.0)
				}
			}
		}
	}
	files, _ := filepath.Glob("testdata/form-*.json")
	for _, name := range files {
		if data, err := os.ReadFile(name); err == nil {
			add(data)
		}
	}
	builtins, _ := fs.Glob(assets.Forms, "forms/*.json")
	for _, name := range builtins {
		if data, err := fs.ReadFile(assets.Forms, name); err == nil {
			add(data)
		}
	}
	f.Fuzz(func(t *testing.T, src string, a, b float64) {
		e, err := ParseExpr(src)
		if err != nil {
			return
		}
		vars := map[string]float64{}
		for i, ref := range e.Refs() {
			if i%3 == 2 {
				continue // leave some fields missing
			}
			if i%2 == 0 {
				vars[ref] = a
			} else {
				vars[ref] = b
			}
		}
		v, err := e.Eval(vars)
		if err == nil && (math.IsNaN(v) || math.IsInf(v, 0)) {
			t.Fatalf("ParseExpr(%q).Eval(%v) = %v, nil, want a finite number or an error", src, vars, v)
		}
		if again, err := ParseExpr(e.String()); err != nil || again.String() != src {
			t.Fatalf("ParseExpr(%q).String() does not parse back: %v", src, err)
		}
	})
}
