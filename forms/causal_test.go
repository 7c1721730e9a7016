package forms

import "testing"

func TestVersionVector_Covers(t *testing.T) {
	v := VersionVector{"a": 3}
	tests := []struct {
		device string
		seq    uint64
		want   bool
	}{
		{"a", 0, true},
		{"a", 1, true},
		{"a", 3, true},
		{"a", 4, false},
		{"b", 0, true},
		{"b", 1, false},
	}
	for _, tt := range tests {
		if got := v.Covers(tt.device, tt.seq); got != tt.want {
			t.Errorf("Covers(%q, %d) = %v, want %v", tt.device, tt.seq, got, tt.want)
		}
	}
	var nilV VersionVector
	if nilV.Covers("a", 1) {
		t.Errorf("nil Covers(a, 1) = true, want false")
	}
}

func TestVersionVector_Merge(t *testing.T) {
	v := VersionVector{"a": 3, "b": 1}
	v.Merge(VersionVector{"b": 5, "c": 2, "a": 1})
	want := VersionVector{"a": 3, "b": 5, "c": 2}
	if v.Compare(want) != CausalEqual || len(v) != len(want) {
		t.Errorf("Merge = %v, want %v", v, want)
	}
}

func TestVersionVector_Clone(t *testing.T) {
	v := VersionVector{"a": 1}
	c := v.Clone()
	c["a"] = 9
	if v["a"] != 1 {
		t.Errorf("Clone shares storage: original a = %d, want 1", v["a"])
	}
	var nilV VersionVector
	if c := nilV.Clone(); c == nil {
		t.Errorf("nil Clone() = nil, want empty vector")
	}
}

func TestVersionVector_Compare(t *testing.T) {
	tests := []struct {
		name string
		v, o VersionVector
		want Causality
	}{
		{"both empty", nil, VersionVector{}, CausalEqual},
		{"zero entry equals missing", VersionVector{"a": 0}, nil, CausalEqual},
		{"equal", VersionVector{"a": 2, "b": 1}, VersionVector{"b": 1, "a": 2}, CausalEqual},
		{"before by seq", VersionVector{"a": 1}, VersionVector{"a": 2}, CausalBefore},
		{"before by device", VersionVector{"a": 1}, VersionVector{"a": 1, "b": 1}, CausalBefore},
		{"after", VersionVector{"a": 3, "b": 1}, VersionVector{"a": 2}, CausalAfter},
		{"concurrent", VersionVector{"a": 2}, VersionVector{"b": 1}, CausalConcurrent},
		{"concurrent crossed", VersionVector{"a": 2, "b": 1}, VersionVector{"a": 1, "b": 2}, CausalConcurrent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.v.Compare(tt.o); got != tt.want {
				t.Errorf("Compare(%v, %v) = %v, want %v", tt.v, tt.o, got, tt.want)
			}
		})
	}
}

func TestCausality_String(t *testing.T) {
	for c, want := range map[Causality]string{CausalEqual: "equal", CausalBefore: "before", CausalAfter: "after", CausalConcurrent: "concurrent", 9: "unknown"} {
		if got := c.String(); got != want {
			t.Errorf("Causality(%d).String() = %q, want %q", int(c), got, want)
		}
	}
}

func TestConcurrent(t *testing.T) {
	a1 := EventRef{"a", 1}
	a2 := EventRef{"a", 2}
	b1 := EventRef{"b", 1}
	c1 := EventRef{"c", 1}
	tests := []struct {
		name         string
		a            EventRef
		aSeen        VersionVector
		b            EventRef
		bSeen        VersionVector
		want         bool
		wantABefore  bool
		wantBBeforeA bool
	}{
		{"same event", a1, VersionVector{"a": 1}, a1, VersionVector{"a": 1}, false, false, false},
		{"same device in order", a1, nil, a2, nil, false, true, false},
		{"same device reversed", a2, nil, a1, nil, false, false, true},
		{"b saw a", a1, VersionVector{"a": 1}, b1, VersionVector{"a": 1, "b": 1}, false, true, false},
		{"a saw b", a1, VersionVector{"b": 1}, b1, nil, false, false, true},
		{"made apart", a1, VersionVector{"a": 1}, b1, VersionVector{"b": 1}, true, false, false},
		{"b saw an older a only", a2, VersionVector{"a": 2}, b1, VersionVector{"a": 1}, true, false, false},
		// c learnt of a1 through b: its merged vector covers a1 though it
		// never synced with a directly.
		{"transitive through third device", a1, VersionVector{"a": 1}, c1, VersionVector{"a": 1, "b": 1, "c": 1}, false, true, false},
		{"third device saw b but not a", a1, VersionVector{"a": 1}, c1, VersionVector{"b": 1, "c": 1}, true, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Concurrent(tt.a, tt.aSeen, tt.b, tt.bSeen); got != tt.want {
				t.Errorf("Concurrent(%v, %v, %v, %v) = %v, want %v", tt.a, tt.aSeen, tt.b, tt.bSeen, got, tt.want)
			}
			if got := Concurrent(tt.b, tt.bSeen, tt.a, tt.aSeen); got != tt.want {
				t.Errorf("Concurrent(%v, %v, %v, %v) = %v, want %v (symmetry)", tt.b, tt.bSeen, tt.a, tt.aSeen, got, tt.want)
			}
			if got := HappenedBefore(tt.a, tt.b, tt.bSeen); got != tt.wantABefore {
				t.Errorf("HappenedBefore(%v, %v, %v) = %v, want %v", tt.a, tt.b, tt.bSeen, got, tt.wantABefore)
			}
			if got := HappenedBefore(tt.b, tt.a, tt.aSeen); got != tt.wantBBeforeA {
				t.Errorf("HappenedBefore(%v, %v, %v) = %v, want %v", tt.b, tt.a, tt.aSeen, got, tt.wantBBeforeA)
			}
		})
	}
}
