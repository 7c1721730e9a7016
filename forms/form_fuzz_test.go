package forms

import (
	"encoding/json"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"lifeboat/assets"
)

// FuzzParseDefinition checks that no definition, however broken, makes
// ParseDefinition, Validate or Compute panic, and that a definition that
// parses survives a JSON round trip.
func FuzzParseDefinition(f *testing.F) {
	files, _ := filepath.Glob("testdata/form-*.json")
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	builtins, _ := fs.Glob(assets.Forms, "forms/*.json")
	for _, name := range builtins {
		data, err := fs.ReadFile(assets.Forms, name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`{"id":"x","version":1,"title":"X","fields":[{"id":"a","label":"A","type":"computed","compute":"a"}]}`))
	f.Add([]byte(`null`))
	now := time.Date(2025, 6, 15, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := ParseDefinition(data)
		if err != nil {
			if d != nil {
				t.Fatalf("ParseDefinition() = %v, %v, want nil definition with the error", d, err)
			}
			return
		}
		again, err := json.Marshal(d)
		if err != nil {
			t.Fatalf("json.Marshal(parsed definition) = %v", err)
		}
		if _, err := ParseDefinition(again); err != nil {
			t.Fatalf("ParseDefinition(json.Marshal(d)) = %v, want no error\n%s", err, again)
		}
		// Answer every field with something of the right and the wrong type.
		for _, pick := range []int{0, 1} {
			values := map[string]any{}
			for _, fl := range d.Fields {
				values[fl.ID] = sampleValue(fl, pick)
			}
			Validate(d, values, now)
			got, _ := Compute(d, values)
			for k, v := range got {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					t.Fatalf("Compute()[%s] = %v, want a finite number", k, v)
				}
			}
		}
		Validate(d, nil, now)
	})
}

// sampleValue gives a plausible answer (pick 0) or a wrong-typed one.
func sampleValue(f Field, pick int) any {
	if pick == 1 {
		return []any{1.5, "x", nil}
	}
	switch f.Type {
	case FieldNumber, FieldInteger:
		if f.Min != nil {
			return *f.Min
		}
		return 1.0
	case FieldChoice:
		return f.Choices[0].Value
	case FieldMultiChoice:
		return []any{f.Choices[0].Value}
	case FieldYesNo:
		return true
	case FieldDate:
		return "2025-06-15"
	case FieldDateTime:
		return "2025-06-15T10:00"
	case FieldTime:
		return "10:00"
	case FieldNHSNumber:
		return "9434765919"
	}
	return "text"
}
