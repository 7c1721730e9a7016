package forms

import (
	"encoding/json"
	"errors"
	"testing"

	"lifeboat"
)

func TestParseQuantity(t *testing.T) {
	tests := []struct {
		in   string
		want Quantity
		out  string
	}{
		{"0", 0, "0"},
		{"10", 10000, "10"},
		{"2.5", 2500, "2.5"},
		{"2.50", 2500, "2.5"},
		{"0.125", 125, "0.125"},
		{"0.001", 1, "0.001"},
		{"-1", -1000, "-1"},
		{"-0.25", -250, "-0.25"},
		{"+3", 3000, "3"},
		{"007", 7000, "7"},
		{"-0", 0, "0"},
		{"999999999999.999", MaxQuantity, "999999999999.999"},
		{"-999999999999.999", -MaxQuantity, "-999999999999.999"},
	}
	for _, tt := range tests {
		got, err := ParseQuantity(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseQuantity(%q) = %d, %v, want %d, nil", tt.in, got, err, tt.want)
			continue
		}
		if s := got.String(); s != tt.out {
			t.Errorf("Quantity(%d).String() = %q, want %q", got, s, tt.out)
		}
	}
}

func TestParseQuantity_Invalid(t *testing.T) {
	for _, in := range []string{"", "-", "+", ".5", "5.", "1.2345", "1e3", " 1", "1 ", "1,5", "abc", "1.2.3", "0x10", "--1", "1000000000000", "NaN", "½", "١"} {
		if got, err := ParseQuantity(in); !errors.Is(err, lifeboat.ErrInvalid) {
			t.Errorf("ParseQuantity(%q) = %d, %v, want error wrapping ErrInvalid", in, got, err)
		}
	}
}

func TestQuantity_Add(t *testing.T) {
	tests := []struct {
		q, r    Quantity
		want    Quantity
		wantErr bool
	}{
		{Units(2), MustQuantity("0.5"), 2500, false},
		{Units(2), -Units(3), -Units(1), false},
		{MaxQuantity, 1, 0, true},
		{-MaxQuantity, -1, 0, true},
		{1 << 62, 1 << 62, 0, true},
	}
	for _, tt := range tests {
		got, err := tt.q.Add(tt.r)
		if (err != nil) != tt.wantErr || (!tt.wantErr && got != tt.want) {
			t.Errorf("Quantity(%d).Add(%d) = %d, %v, want %d, error %v", tt.q, tt.r, got, err, tt.want, tt.wantErr)
		}
		if err != nil && !errors.Is(err, lifeboat.ErrInvalid) {
			t.Errorf("Quantity(%d).Add(%d) error = %v, want ErrInvalid", tt.q, tt.r, err)
		}
	}
}

func TestQuantity_JSON(t *testing.T) {
	type doc struct {
		Q Quantity `json:"q"`
	}
	b, err := json.Marshal(doc{MustQuantity("2.5")})
	if err != nil || string(b) != `{"q":"2.5"}` {
		t.Errorf("json.Marshal(2.5) = %s, %v, want {\"q\":\"2.5\"}", b, err)
	}
	for in, want := range map[string]Quantity{`{"q":"2.5"}`: 2500, `{"q":2.5}`: 2500, `{"q":10}`: 10000, `{"q":null}`: 0, `{}`: 0} {
		var d doc
		if err := json.Unmarshal([]byte(in), &d); err != nil || d.Q != want {
			t.Errorf("json.Unmarshal(%s) = %d, %v, want %d", in, d.Q, err, want)
		}
	}
	for _, in := range []string{`{"q":"2.5555"}`, `{"q":1e3}`, `{"q":"x"}`, `{"q":true}`, `{"q":".5"}`} {
		var d doc
		if err := json.Unmarshal([]byte(in), &d); err == nil {
			t.Errorf("json.Unmarshal(%s) = %d, nil, want error", in, d.Q)
		}
	}
}

func TestMustQuantity_Panics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Errorf("MustQuantity(\"x\") did not panic")
		}
	}()
	MustQuantity("x")
}

func FuzzParseQuantity(f *testing.F) {
	for _, s := range []string{"0", "10", "2.5", "-0.125", "+3", ".5", "1e3", "999999999999.999", "1.2345"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, err := ParseQuantity(s)
		if err != nil {
			return
		}
		if q > MaxQuantity || q < -MaxQuantity {
			t.Fatalf("ParseQuantity(%q) = %d, beyond MaxQuantity", s, q)
		}
		r, err := ParseQuantity(q.String())
		if err != nil || r != q {
			t.Fatalf("ParseQuantity(%q) = %d, %v, want %d (round trip of %q)", q.String(), r, err, q, s)
		}
		b, err := json.Marshal(q)
		if err != nil {
			t.Fatal(err)
		}
		var back Quantity
		if err := json.Unmarshal(b, &back); err != nil || back != q {
			t.Fatalf("json round trip of %d = %d, %v", q, back, err)
		}
	})
}
