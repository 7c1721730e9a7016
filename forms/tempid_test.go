package forms

import (
	"errors"
	"testing"

	"lifeboat"
)

func TestFormatTempID_Cases(t *testing.T) {
	tests := []struct {
		device string
		n      uint64
		want   string
	}{
		{"K3XQ7ZPA", 1, "DT-K3XQ7ZPA-1"},
		{"K3XQ7ZPA", 12, "DT-K3XQ7ZPA-12"},
		{"TEST", 18446744073709551615, "DT-TEST-18446744073709551615"},
	}
	for _, tt := range tests {
		if got := FormatTempID(tt.device, tt.n); got != tt.want {
			t.Errorf("FormatTempID(%q, %d) = %q, want %q", tt.device, tt.n, got, tt.want)
		}
	}
}

func TestParseTempID_Valid(t *testing.T) {
	tests := []struct {
		in     string
		device string
		n      uint64
	}{
		{"DT-K3XQ7ZPA-12", "K3XQ7ZPA", 12},
		{"dt-k3xq7zpa-12", "K3XQ7ZPA", 12},
		{"  DT-TEST-1 ", "TEST", 1},
		{"DT-TEST-18446744073709551615", "TEST", 18446744073709551615},
	}
	for _, tt := range tests {
		d, n, err := ParseTempID(tt.in)
		if err != nil || d != tt.device || n != tt.n {
			t.Errorf("ParseTempID(%q) = %q, %d, %v, want %q, %d, nil", tt.in, d, n, err, tt.device, tt.n)
		}
		if !IsTempID(tt.in) {
			t.Errorf("IsTempID(%q) = false, want true", tt.in)
		}
	}
}

func TestParseTempID_RoundTrip(t *testing.T) {
	for _, n := range []uint64{1, 9, 10, 99999} {
		s := FormatTempID("AB12CD34", n)
		d, got, err := ParseTempID(s)
		if err != nil || d != "AB12CD34" || got != n {
			t.Errorf("ParseTempID(FormatTempID(%q, %d)) = %q, %d, %v, want %q, %d, nil", "AB12CD34", n, d, got, err, "AB12CD34", n)
		}
	}
}

func TestParseTempID_Invalid(t *testing.T) {
	for _, in := range []string{
		"",
		"DT-",
		"DT--1",
		"DT-ABC",
		"DT-ABC-",
		"DT-ABC-0",
		"DT-ABC-01",
		"DT-ABC--1",
		"DT-ABC-1-2",
		"DT-AB C-1",
		"DT-ABC-1x",
		"DT-ABCDEFGHIJKLMNOPQ-1", // 17 characters
		"DT-ABC-18446744073709551616",
		"XX-ABC-1",
		"9434765919",
	} {
		d, n, err := ParseTempID(in)
		if err == nil || !errors.Is(err, lifeboat.ErrInvalid) {
			t.Errorf("ParseTempID(%q) = %q, %d, %v, want an error wrapping lifeboat.ErrInvalid", in, d, n, err)
		}
		if IsTempID(in) {
			t.Errorf("IsTempID(%q) = true, want false", in)
		}
	}
}
